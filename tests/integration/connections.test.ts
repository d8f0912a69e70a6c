import type { Server } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIndividual, createSpecification } from '../support/fixtures.js';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe, subscribersLive } from '../support/subscriber.js';

/**
 * Connection limits of every HTTP server (docs/security.md, "Limits"), with small values: idle, half-open and
 * surplus connections are closed by Node as documented, and upgraded websockets are left alone.
 */
const limits = { maxConnections: 12, keepAliveMs: 1_500, headersMs: 1_000, requestMs: 1_500 };
// What Node sends a connection whose request did not arrive in time, before it closes it; Fastify
// answers it itself, with a JSON body and no Connection header (it closes the connection all the same).
const nodeTimedOut = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';
const fastifyBody = '{"error":"Request Timeout","message":"Client Timeout","statusCode":408}';
const fastifyTimedOut = `HTTP/1.1 408 Request Timeout\r\nContent-Length: ${fastifyBody.length}\r\nContent-Type: application/json\r\n\r\n${fastifyBody}`;
// Node looks for late requests every headers timeout / 4 (config.ts); allow for a loaded machine.
const slack = 1_500;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('connections', {
    HTTP_MAX_CONNECTIONS: String(limits.maxConnections),
    HTTP_KEEPALIVE_TIMEOUT_MS: String(limits.keepAliveMs),
    HTTP_HEADERS_TIMEOUT_MS: String(limits.headersMs),
    HTTP_REQUEST_TIMEOUT_MS: String(limits.requestMs),
  });
});
afterAll(async () => {
  await stack?.close();
});

interface Probe {
  socket: net.Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves with the milliseconds from connect to close; rejects after `ms`. */
  closed(ms: number): Promise<number>;
  /** Resolves once `text` has arrived; rejects after `ms`. */
  receivedText(text: string, ms: number): Promise<string>;
}

/** A raw TCP connection to `url`'s host and port that sends `payload` (nothing when empty) once connected. */
async function connect(url: string, payload = ''): Promise<Probe> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let data = '';
  let closedAt: number | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const start = Date.now();
  socket.once('close', () => (closedAt = Date.now()));
  if (payload) socket.write(payload);
  const waitFor = <T>(done: () => T | undefined, ms: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = done();
        if (value !== undefined) {
          clearTimeout(timer);
          socket.off('close', check);
          socket.off('data', check);
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        socket.off('close', check);
        socket.off('data', check);
        reject(new Error(`${what} within ${ms} ms (received ${JSON.stringify(data)})`));
      }, ms);
      socket.on('close', check);
      socket.on('data', check);
      check();
    });
  return {
    socket,
    received: () => data,
    closed: (ms) => waitFor(() => (closedAt === undefined ? undefined : closedAt - start), ms, 'the server did not close the connection'),
    receivedText: (text, ms) => waitFor(() => (data.includes(text) ? data : undefined), ms, `no ${JSON.stringify(text)}`),
  };
}

/** The three kinds of server, each with a URL and its node:http server. */
const servers = (): { name: string; url: string; server: Server; timedOut: string }[] => [
  { name: 'gateway', url: stack.gatewayUrl, server: stack.system.gateway.server, timedOut: nodeTimedOut },
  { name: 'REST facade', url: stack.system.rest.url, server: stack.system.rest.server, timedOut: fastifyTimedOut },
  { name: 'party subgraph', ...party(), timedOut: nodeTimedOut },
];
const party = () => {
  const { url, server } = stack.system.subgraphs.find((s) => s.name === 'party')!;
  return { url, server };
};

describe('idle and half-open connections', () => {
  it('answers 408 and closes a connection that sends nothing, within the headers timeout', async () => {
    const probes = await Promise.all(servers().map(async ({ name, url, timedOut }) => ({ name, timedOut, probe: await connect(url) })));
    for (const { name, timedOut, probe } of probes) {
      const ms = await probe.closed(limits.headersMs + slack);
      expect(ms, name).toBeGreaterThanOrEqual(limits.headersMs - 50);
      expect(probe.received(), name).toBe(timedOut);
    }
  });

  it('answers 408 and closes a connection that stops inside its headers, or inside its request line', async () => {
    const probes = await Promise.all(
      servers().flatMap(({ name, url, timedOut }) => [
        connect(url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n').then((probe) => ({ name: `${name}, headers`, timedOut, probe })),
        connect(url, 'GET /heal').then((probe) => ({ name: `${name}, request line`, timedOut, probe })),
      ]),
    );
    for (const { name, timedOut, probe } of probes) {
      const ms = await probe.closed(limits.headersMs + slack);
      expect(ms, name).toBeGreaterThanOrEqual(limits.headersMs - 50);
      expect(probe.received(), name).toBe(timedOut);
    }
  });

  it('answers 408 and closes a connection whose body is unfinished after the request timeout', async () => {
    const post = (path: string, authorization = '') =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\n${authorization}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a"`;
    const bearer = `Authorization: Bearer ${stack.token}\r\n`;
    const [gateway, rest, subgraph] = await Promise.all([
      connect(stack.gatewayUrl, post('/graphql', bearer)),
      connect(stack.system.rest.url, post('/tmf-api/productUsageManagement/v5/productUsage', bearer)),
      // A subgraph refuses a request without the gateway's signature before it reads the body.
      connect(party().url, post('/graphql')),
    ]);
    for (const probe of [gateway, rest, subgraph]) {
      expect(await probe.closed(limits.requestMs + slack)).toBeGreaterThanOrEqual(limits.requestMs - 50);
    }
    expect(gateway.received()).toBe(nodeTimedOut);
    expect(rest.received()).toBe(fastifyTimedOut);
    // The refusal first, then (the body never having arrived) the timeout all the same.
    expect(subgraph.received()).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n[^]*\r\n\r\n[^]*HTTP\/1\.1 408 Request Timeout\r\nConnection: close\r\n\r\n$/);
  });

  it('closes an idle keep-alive connection the keep-alive timeout (+1 s) after its last response, without a byte more', async () => {
    const probes = await Promise.all(servers().map(async ({ name, url }) => ({ name, probe: await connect(url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n') })));
    for (const { name, probe } of probes) {
      await probe.receivedText('\r\n\r\n', 5_000);
      const ms = await probe.closed(limits.keepAliveMs + 1_000 + slack);
      expect(ms, name).toBeGreaterThanOrEqual(limits.keepAliveMs + 1_000 - 100);
      const response = probe.received();
      expect(response, name).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(response, name).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i);
      expect(response, name).not.toContain('408');
    }
  });
});

describe('connection cap', () => {
  it('closes connections beyond HTTP_MAX_CONNECTIONS at once, without a byte, while those it holds are served', async () => {
    for (const { name, url, server } of servers()) {
      const open = await new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
      expect(open, name).toBeLessThan(limits.maxConnections);
      // Up to the cap, and one more: the server holds the first, the last is closed on arrival.
      const held: Probe[] = [];
      for (let i = open; i < limits.maxConnections; i++) held.push(await connect(url));
      const surplus = await connect(url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      try {
        expect(await surplus.closed(500), name).toBeLessThan(500);
        expect(surplus.received(), name).toBe('');
        // A connection the server holds still works.
        held[0]!.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        expect(await held[0]!.receivedText('\r\n\r\n', 2_000), name).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      } finally {
        for (const probe of held) probe.socket.destroy();
      }
      // With the held connections gone, new ones are accepted again.
      await expect.poll(async () => (await fetch(url.replace(/\/graphql$/, '') + '/healthz')).status, { timeout: 2_000 }).toBe(200);
    }
  });
});

describe('websockets', () => {
  it('keeps a graphql-ws subscription (and the gateway -> subgraph one) open past every HTTP timeout', async () => {
    const spec = await createSpecification(stack, 'Long-lived');
    const party = await createIndividual(stack, 'Ada', 'Idle');
    const subscriber = subscribe(stack.wsUrl, 'subscription($filter: ProductUsageEventFilter) { productUsageEvents(filter: $filter) { eventType } }', {
      filter: { relatedPartyId: [party.id] },
    });
    try {
      await subscribersLive(stack, 1);
      // Idle past the headers, request and keep-alive timeouts (the longest is keep-alive + 1 s).
      await new Promise((resolve) => setTimeout(resolve, limits.keepAliveMs + 1_000 + slack));
      const created = await stack.rest('POST', '/tmf-api/productUsageManagement/v5/productUsage', {
        '@type': 'ProductUsage',
        product: { '@type': 'ProductRef', id: 'prod' },
        usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: spec.id },
        relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: party.id } }],
      });
      expect(created.status).toBe(201);
      expect((await subscriber.received(1)).map((e) => e.productUsageEvents.eventType)).toEqual(['ProductUsageCreateEvent']);
      expect(subscriber.errors).toEqual([]);
      expect(subscriber.completed).toBe(false);
    } finally {
      await subscriber.close();
    }
  });
});
