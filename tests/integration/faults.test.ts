import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { setTimeout as backoff } from 'node:timers/promises';
import type { Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDatabase, type Database } from '../../platform/local-database.js';
import { connectMongo } from '../../platform/mongo.js';
import { startReceiver } from '../support/receiver.js';
import { subscribe } from '../support/subscriber.js';
import { postmasterPid, startProcesses, type Processes, type ServiceName } from '../support/processes.js';

// Keep running through faults (issue 14): every service is its own OS process, so it can be killed
// with SIGKILL, paused with SIGSTOP or stopped with SIGTERM while clients use the system, over the
// real database. The file's own embedded database (unless MONGODB_URI is set), so that killing its
// PostgreSQL leaves the run's shared one alone.
const external = Boolean(process.env.MONGODB_URI);
const v5 = '/tmf-api/productUsageManagement/v5';
let dataDir: string;
let database: Database;
let client: MongoClient;
let db: Db;
let system: Processes;
/** The embedded database supervisor's lines (a PostgreSQL restart among them), as they come. */
const databaseLines = new EventEmitter<{ line: [string] }>();
const databaseLine = (pattern: RegExp) =>
  new Promise<string>((resolve) => {
    const listen = (line: string) => pattern.test(line) && (databaseLines.off('line', listen), resolve(line));
    databaseLines.on('line', listen);
  });

beforeAll(async () => {
  dataDir = mkdtempSync(path.resolve(process.env.DATA_DIR ?? '.data', 'faults-'));
  database = external
    ? { uri: inject('mongodbUri'), kind: 'external', stop: async () => {} }
    : await startDatabase({ dataDir: path.join(dataDir, 'db'), log: (line) => databaseLines.emit('line', line) });
  const name = `${inject('databasePrefix')}faults`;
  client = await connectMongo(database.uri);
  db = client.db(name);
  system = await startProcesses({
    MONGODB_URI: database.uri,
    MONGODB_DB: name,
    DATA_DIR: dataDir,
    // The writers below are one tenant writing as fast as it is answered: not what the limiter is for.
    RATE_LIMIT_PER_SECOND: '0',
    HUB_RETRY_BASE_MS: '50',
    HUB_RETRY_MAX_MS: '200',
    // The receiver below is down for longer than ten attempts: its hub must not be suspended.
    HUB_MAX_FAILURES: '100000',
    HUB_SIGNING_SECRET: 'faults-signing-secret-0123456789',
  });
}, 240_000);

afterAll(async () => {
  await system?.stopAll();
  await client?.close();
  await database?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Answer {
  /** 0: no HTTP answer (connection refused or reset). */
  status: number;
  body: any;
  retryAfter: string | null;
}

async function call(base: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  try {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${system.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, retryAfter: response.headers.get('retry-after') };
  } catch {
    return { status: 0, body: undefined, retryAfter: null };
  }
}

const rest = (method: string, route: string, body?: unknown, headers?: Record<string, string>) => call(system.restUrl, method, route, body, headers);
const graphql = (query: string) => call(system.gatewayUrl, 'POST', '', { query });

/** A v5 create whose description is its idempotency key, so the database can be asked per key. */
const usage = (usageType: string, key: string) => ({
  '@type': 'ProductUsage',
  usageType,
  description: key,
  product: { '@type': 'ProductRef', id: 'prod' },
  usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec' },
});
const create = (usageType: string, key: string) => rest('POST', `${v5}/productUsage`, usage(usageType, key), { 'idempotency-key': key });

const tmf503 = (message: string) => ({ '@type': 'Error', code: '503', reason: 'Service Unavailable', message, status: '503' });

type Phase = 'up' | 'down' | 'restarting' | 'back';
interface Write extends Answer {
  key: string;
  /** What the test was doing when the write was sent. */
  phase: Phase;
}

/**
 * Clients creating usages through REST, each one after the other with a fresh Idempotency-Key, as
 * fast as they are answered (a short pause after a refusal, as a client backs off). Every answer is
 * kept with the phase the fault was in when it was sent.
 */
class Writers {
  readonly writes: Write[] = [];
  phase: Phase = 'up';
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private waiting: { test: () => boolean; resolve: () => void }[] = [];

  constructor(
    readonly usageType: string,
    count = 2,
  ) {
    for (let i = 0; i < count; i++) this.loops.push(this.loop());
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const key = randomUUID();
      const phase = this.phase;
      const answer = await create(this.usageType, key);
      this.writes.push({ key, phase, ...answer });
      this.waiting = this.waiting.filter((w) => !(w.test() && (w.resolve(), true)));
      if (answer.status !== 201) await backoff(50);
    }
  }

  /** Resolves once `count` writes sent in `phase` have been answered (with `status`, if given). */
  until(phase: Phase, count: number, status?: number): Promise<void> {
    const test = () => this.writes.filter((w) => w.phase === phase && (status === undefined || w.status === status)).length >= count;
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${count} writes answered ${status ?? ''} in phase ${phase}: ${this.summary()}`)), 60_000);
      this.waiting.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  summary(): string {
    const counts = new Map<string, number>();
    for (const w of this.writes) counts.set(`${w.phase} ${w.status}`, (counts.get(`${w.phase} ${w.status}`) ?? 0) + 1);
    return JSON.stringify(Object.fromEntries(counts));
  }
}

/**
 * Every write is stored exactly once: each unacknowledged one, sent again with its key now that the
 * system is back, is acknowledged; then the database holds one usage per key (the acknowledged one
 * where there was one: an acknowledged write that is missing is a loss) and nothing else of its type.
 */
async function expectEachStoredOnce(writers: Writers): Promise<void> {
  const acknowledged = new Map<string, string>();
  for (const write of writers.writes) {
    if (write.status === 201) {
      acknowledged.set(write.key, write.body.id);
      continue;
    }
    const again = await create(writers.usageType, write.key);
    expect({ key: write.key, status: again.status }).toEqual({ key: write.key, status: 201 });
  }
  const stored = await db
    .collection('productUsages')
    .find({ usageType: writers.usageType })
    .project<{ _id: string; description: string }>({ description: 1 })
    .toArray();
  const perKey = new Map<string, string[]>();
  for (const doc of stored) perKey.set(doc.description, [...(perKey.get(doc.description) ?? []), String(doc._id)]);
  const wrong = writers.writes.filter((w) => perKey.get(w.key)?.length !== 1 || (acknowledged.has(w.key) && perKey.get(w.key)![0] !== acknowledged.get(w.key)));
  expect(wrong.map((w) => ({ key: w.key, phase: w.phase, answered: w.status, stored: perKey.get(w.key) ?? [] }))).toEqual([]);
  expect(stored).toHaveLength(new Set(writers.writes.map((w) => w.key)).size);
}

/** What a client sees while one process is down, besides the writes, and that it serves again after. */
interface Fault {
  name: ServiceName;
  /** What a write through REST answers while it is down. */
  write: (answer: Answer) => void;
  /** A request that needs the process: its answer while down, and once back. */
  probe?: { send: () => Promise<Answer>; down: (answer: Answer) => void };
}

const refusedConnection = (answer: Answer) => expect(answer).toEqual({ status: 0, body: undefined, retryAfter: null });
const stored = (answer: Answer) => expect(answer.status).toBe(201);
const unavailable = (message: string) => (answer: Answer) => expect(answer).toEqual({ status: 503, body: tmf503(message), retryAfter: '1' });

const faults: Fault[] = [
  { name: 'usage', write: unavailable('The usage service is unavailable; try again shortly.') },
  {
    // A usage names its specification by id: creating one needs only the usage subgraph.
    name: 'specification',
    write: stored,
    probe: {
      send: () => rest('GET', '/tmf-api/usageManagement/v4/usageSpecification'),
      down: unavailable('The specification service is unavailable; try again shortly.'),
    },
  },
  {
    name: 'party',
    write: stored,
    probe: {
      send: () => graphql('{ parties { totalCount } }'),
      down: (answer) =>
        expect(answer).toEqual({
          status: 503,
          body: {
            data: null,
            errors: [{ message: 'The party service is unavailable; try again shortly.', path: ['parties'], extensions: { code: 'SERVICE_UNAVAILABLE' } }],
          },
          retryAfter: null,
        }),
    },
  },
  {
    name: 'gateway',
    write: unavailable('The usage graph is unavailable; try again shortly.'),
    probe: { send: () => graphql('{ productUsages { totalCount } }'), down: refusedConnection },
  },
  {
    // Clients cannot reach it at all; the graph behind it goes on serving.
    name: 'rest',
    write: refusedConnection,
    probe: { send: () => graphql('{ productUsages(limit: 1) { totalCount } }'), down: (answer) => expect(answer.status).toBe(200) },
  },
];

describe('start-up', () => {
  // A warning at every start (a MaxListenersExceededWarning once) teaches operators to ignore warnings.
  it('no service prints a Node warning while it starts and serves its first requests', async () => {
    expect((await call(system.restUrl, 'GET', `${v5}/productUsage?limit=1`)).status).toBe(200);
    for (const service of Object.values(system.services)) expect(service.output(), service.name).not.toMatch(/Warning:/);
  });
});

describe('kill -9 of one process while clients write usages through REST', () => {
  for (const fault of faults) {
    it(`${fault.name}: clients get the documented answer, nothing else crashes, and after a restart every write is stored once`, async () => {
      const writers = new Writers(`kill-${fault.name}`);
      const service = system.services[fault.name];
      // A subscriber of the usage subgraph's events, held across its kill.
      const subscriber =
        fault.name === 'usage'
          ? subscribe(system.gatewayUrl.replace(/^http/, 'ws'), 'subscription { productUsageEvents { eventType } }', {}, system.token)
          : undefined;
      try {
        await writers.until('up', 4, 201);
        await subscriber?.received(1, 10_000);
        expect(await service.kill()).toEqual({ code: null, signal: 'SIGKILL' });
        if (subscriber) {
          // Its subscription ends as the service being unavailable, not as an internal error.
          await subscriber.ended(10_000);
          expect(JSON.stringify(subscriber.errors)).toContain('SERVICE_UNAVAILABLE');
          expect(JSON.stringify(subscriber.errors)).not.toContain('INTERNAL_SERVER_ERROR');
        }
        writers.phase = 'down';
        await writers.until('down', 4);
        if (fault.probe) fault.probe.down(await fault.probe.send());
        expect(system.notRunning(fault.name)).toEqual([]);

        writers.phase = 'restarting';
        await service.start();
        writers.phase = 'back';
        await writers.until('back', 4, 201);
      } finally {
        await writers.stop();
        await subscriber?.close();
      }
      for (const { status, body, retryAfter } of writers.writes.filter((w) => w.phase === 'down')) fault.write({ status, body, retryAfter });
      // In transition (a request in flight when it died, or sent while it started) a write may be
      // refused as while it is down, but nothing else: never a 500.
      const allowed = new Set([201, 503, ...(fault.name === 'rest' ? [0] : [])]);
      expect(writers.writes.filter((w) => !allowed.has(w.status))).toEqual([]);
      expect(writers.writes.filter((w) => w.phase === 'back' && w.status !== 201)).toEqual([]);
      expect(system.notRunning()).toEqual([]);
      await expectEachStoredOnce(writers);
      if (fault.probe) expect((await fault.probe.send()).status).toBe(200);
    }, 120_000);
  }
});

describe.skipIf(external)('kill -9 of PostgreSQL under the embedded FerretDB while clients write', () => {
  // The supervisor (scripts/ferretdb/postgres.go) restarts PostgreSQL on the same port, so FerretDB
  // and every connection to it stay; killing the supervisor instead ends the database for good (a
  // new one has a new port), which database-down.test.ts covers in one process.
  it('writes meanwhile are 503 (never 500), /readyz says not ready, and after its restart writes succeed and nothing acknowledged is lost', async () => {
    const writers = new Writers('database-down');
    try {
      await writers.until('up', 4, 201);
      const restarted = databaseLine(/postgres restarted on port/);
      process.kill(postmasterPid(), 'SIGKILL');
      writers.phase = 'down';
      await writers.until('down', 1, 503);
      expect(await call(system.services.usage.url.replace('/graphql', ''), 'GET', '/readyz')).toEqual({
        status: 503,
        body: { status: 'unavailable', unavailable: { database: 'the database does not answer' } },
        retryAfter: null,
      });
      expect(await rest('GET', '/readyz')).toEqual({
        status: 503,
        body: { status: 'unavailable', unavailable: { gateway: 'the gateway is not ready' } },
        retryAfter: null,
      });
      await restarted;
      writers.phase = 'back';
      await writers.until('back', 4, 201);
    } finally {
      await writers.stop();
    }
    const refused = writers.writes.filter((w) => w.status !== 201);
    expect(
      refused.filter((w) => w.status !== 503 || w.retryAfter !== '1' || !/the database is unavailable; try again shortly\.$/.test(w.body.message)),
    ).toEqual([]);
    expect(writers.writes.filter((w) => w.phase === 'back' && w.status !== 201)).toEqual([]);
    expect((await rest('GET', '/readyz')).status).toBe(200);
    expect(system.notRunning()).toEqual([]);
    await expectEachStoredOnce(writers);
  }, 120_000);
});

describe('webhook deliveries across a kill -9 of the REST facade, its receiver down meanwhile', () => {
  it('every event made is delivered exactly once, in order per usage, once both are back', async () => {
    // Down: the receiver answers 503 (as one behind a load balancer does) until it is back.
    let up = false;
    const receiver = await startReceiver(() => (up ? 200 : 503));
    const usageType = 'faults-webhooks';
    try {
      const hub = await rest('POST', `${v5}/hub`, { '@type': 'Hub', callback: receiver.url, query: `usageType=${usageType}` });
      expect(hub.status).toBe(201);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const created = await create(usageType, randomUUID());
        ids.push(created.body.id);
        expect((await rest('PATCH', `${v5}/productUsage/${created.body.id}`, { '@type': 'ProductUsage', status: 'rated' })).status).toBe(200);
      }
      // Deliveries are pending: the worker has tried and been refused.
      await expect.poll(() => receiver.requests.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      await system.services.rest.kill();

      // Events made while the facade is down, through the graph.
      for (const id of ids)
        expect((await graphql(`mutation { updateProductUsage(id: "${id}", patch: { description: "while down" }) { id } }`)).status).toBe(200);
      const late = await graphql(`mutation { createProductUsage(input: { usageType: "${usageType}" }) { id } }`);
      ids.push(late.body.data.createProductUsage.id);

      await system.services.rest.start();
      const refusedBefore = receiver.requests.length;
      // The restarted facade's worker takes over the pending deliveries while the receiver still
      // refuses them. A delivery the killed facade had leased holds its hub (one lease per hub at a
      // time) until the lease, 30 s (rest-adapter/hub-delivery.ts), runs out.
      await expect.poll(() => receiver.requests.length, { timeout: 45_000 }).toBeGreaterThan(refusedBefore);
      up = true;

      const expected = [
        ...ids.slice(0, 3).map((id) => [id, ['ProductUsageCreateEvent', 'ProductUsageStateChangeEvent', 'ProductUsageAttributeValueChangeEvent']] as const),
        [ids[3]!, ['ProductUsageCreateEvent']] as const,
      ];
      const total = expected.reduce((sum, [, events]) => sum + events.length, 0);
      await receiver.waitForAccepted(total, 30_000);
      // Nothing is left to deliver, so nothing more will come.
      await expect.poll(() => db.collection('hubDeliveries').countDocuments({ hubId: hub.body.id }), { timeout: 10_000 }).toBe(0);
      const accepted = receiver.accepted();
      expect(new Set(accepted.map((r) => r.body.eventId)).size).toBe(accepted.length);
      const perUsage = new Map<string, string[]>();
      for (const r of accepted) perUsage.set(r.body.event.productUsage.id, [...(perUsage.get(r.body.event.productUsage.id) ?? []), r.body.eventType]);
      expect(Object.fromEntries(perUsage)).toEqual(Object.fromEntries(expected));
      expect(system.notRunning()).toEqual([]);
      await rest('DELETE', `${v5}/hub/${hub.body.id}`);
    } finally {
      await receiver.close();
    }
  }, 120_000);
});

describe('the usage subgraph paused (SIGSTOP) past the gateway timeout', () => {
  // A short timeout for this case only: the other cases' requests must not be cut short.
  beforeAll(async () => {
    await system.services.gateway.kill();
    await system.services.gateway.start({ SUBGRAPH_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await system.services.gateway.kill();
    await system.services.gateway.start();
  });

  it('is 504 with a TMF body and GATEWAY_TIMEOUT; once resumed it serves, and retrying the timed-out create does not duplicate it', async () => {
    const usageSubgraph = system.services.usage;
    const key = randomUUID();
    const late = 'The usage service did not answer in time; try again.';
    usageSubgraph.signal('SIGSTOP');
    try {
      const [created, listed] = await Promise.all([create('paused', key), graphql('{ productUsages { totalCount } }')]);
      expect(created).toEqual({
        status: 504,
        body: { '@type': 'Error', code: '504', reason: 'Gateway Timeout', message: late, status: '504' },
        retryAfter: '1',
      });
      expect({ status: listed.status, body: listed.body }).toEqual({
        status: 504,
        body: { data: null, errors: [{ message: late, extensions: { code: 'GATEWAY_TIMEOUT' } }] },
      });
    } finally {
      usageSubgraph.signal('SIGCONT');
    }
    // The create was on its way when the gateway gave up: the subgraph stores it once it runs again.
    const storedWith = () => db.collection('productUsages').countDocuments({ description: key });
    await expect.poll(storedWith, { timeout: 10_000 }).toBe(1);
    const again = await create('paused', key);
    expect(again.status).toBe(201);
    expect(again.body.description).toBe(key);
    expect(await storedWith()).toBe(1);
    expect((await graphql('{ productUsages(limit: 1) { totalCount } }')).status).toBe(200);
    expect(system.notRunning()).toEqual([]);
  }, 60_000);
});

/** A raw HTTP/1.1 connection, so a request can be sent in parts and answers read as they come. */
async function rawConnection(
  url: string,
): Promise<{ socket: Socket; response: () => Promise<{ status: number; headers: Record<string, string>; body: any }> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffer = '';
  let notify = () => {};
  socket.on('data', (chunk: Buffer) => ((buffer += chunk.toString('utf8')), notify()));
  socket.on('end', () => notify());
  /** The next complete response (a 100 Continue is one), taken off the buffer. */
  const response = async () => {
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine, ...lines] = buffer.slice(0, end).split('\r\n');
        const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
        const length = Number(headers['content-length'] ?? 0);
        if (buffer.length >= end + 4 + length) {
          const body = buffer.slice(end + 4, end + 4 + length);
          buffer = buffer.slice(end + 4 + length);
          return { status: Number(statusLine!.split(' ')[1]), headers, body: body ? JSON.parse(body) : undefined };
        }
      }
      if (socket.readableEnded) throw new Error(`connection closed before a whole response: ${JSON.stringify(buffer)}`);
      await new Promise<void>((resolve) => (notify = resolve));
    }
  };
  return { socket, response };
}

const refusesConnections = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });

describe('a request arriving while the REST facade shuts down (SIGTERM)', () => {
  afterAll(async () => {
    if (!system.services.rest.running) await system.services.rest.start();
  });

  it('is answered 503 with a TMF body, while the request in flight is served to its end', async () => {
    const facade = system.services.rest;
    const key = randomUUID();
    const body = JSON.stringify(usage('shutdown-window', key));
    const headers = `Host: 127.0.0.1\r\nAuthorization: Bearer ${system.token}\r\nContent-Type: application/json\r\n`;
    // The late request's first line is in before the signal; an idle connection would be closed.
    const late = await rawConnection(facade.url);
    late.socket.write(`GET ${v5}/productUsage?limit=1 HTTP/1.1\r\n`);
    // In flight: its headers are in (the 100 Continue says the facade took it) and its body is not.
    const held = await rawConnection(facade.url);
    held.socket.write(
      `POST ${v5}/productUsage HTTP/1.1\r\n${headers}Idempotency-Key: ${key}\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    expect((await held.response()).status).toBe(100);

    facade.signal('SIGTERM');
    // Shutting down: it no longer takes connections, and waits for the two it has.
    await expect.poll(() => refusesConnections(facade.url), { timeout: 10_000 }).toBe(true);
    late.socket.write(`${headers}\r\n`);
    const refused = await late.response();
    expect({ status: refused.status, contentType: refused.headers['content-type'], retryAfter: refused.headers['retry-after'], body: refused.body }).toEqual({
      status: 503,
      contentType: 'application/json; charset=utf-8',
      retryAfter: '1',
      body: { '@type': 'Error', code: '503', reason: 'Service Unavailable', message: 'The server is shutting down; try again.', status: '503' },
    });

    held.socket.write(body);
    const served = await held.response();
    expect({ status: served.status, connection: served.headers.connection, description: served.body.description }).toEqual({
      status: 201,
      connection: 'close',
      description: key,
    });
    expect(await facade.exited).toEqual({ code: 0, signal: null });
    late.socket.destroy();
    held.socket.destroy();
  }, 60_000);
});
