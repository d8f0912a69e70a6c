// Subscribers and event source of the fan-out scenario (issue 4), run by scenarios/fan-out.ts as its
// own `node` process so it never shares an event loop with the gateway. It opens `subscribers`
// graphql-transport-ws clients on the gateway, creates warm-up usages through the graph until every client
// has seen one (the upstream subscriptions are then in place), says "subscribed" and waits for a
// line on stdin, then creates `rate` usages per second for `seconds` seconds through the gateway and
// records, for every client and every event, the time from sending the mutation to receipt. It
// prints one JSON line with the figures once every client has every event, or at the deadline.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { messageText } from '../gateway/websocket.js';

export interface FanOutRequest {
  wsUrl: string;
  httpUrl: string;
  subscribers: number;
  rate: number;
  seconds: number;
  specificationId: string;
  partyId: string;
  /** Only usages of this type are this run's events (the filter every subscriber sets). */
  usageType: string;
  /** `Bearer <token>`: on the mutations, and in every client's connection_init payload. */
  authorization: string;
}

export interface FanOutResult {
  events: number;
  deliveries: number;
  expected: number;
  /** Clients that missed at least one event, and how many deliveries are missing in all. */
  clientsMissing: number;
  missing: number;
  /** Mutation sent -> event received, ms. */
  latency: { p50: number; p99: number; max: number; mean: number };
  /** eventTime (set by the usage subgraph) -> event received, ms. */
  fromEventTime: { p50: number; p99: number; max: number };
  closedClients: number;
  mutationP99: number;
}

const request = JSON.parse(process.argv[2]!) as FanOutRequest;
const subscription = `subscription BenchFanOut($filter: ProductUsageEventFilter) {
  productUsageEvents(filter: $filter, eventTypes: [ProductUsageCreateEvent]) { eventId eventTime eventType productUsage { id description usageType status } }
}`;
const mutation = `mutation BenchFanOutCreate($input: ProductUsageInput!) { createProductUsage(input: $input) { id } }`;

const sentAt = new Map<string, number>();
const latencies: number[] = [];
const fromEventTime: number[] = [];
const perClient = new Array<number>(request.subscribers).fill(0);
const warmSeen = new Array<boolean>(request.subscribers).fill(false);
let closedClients = 0;
const closeCodes = new Map<number, number>();
const errorsSeen: string[] = [];
let measuring = false;

// Each client speaks graphql-transport-ws by hand over `ws`: the receiving side is this process's
// hot loop (50,000 messages a second), so it reads the two fields it needs from the text instead of
// parsing and validating every message as a full client library would. The measuring process must
// not be what delays the deliveries it measures.
const sockets: WebSocket[] = [];
const field = (text: string, name: string) => {
  const at = text.indexOf(`"${name}":"`);
  if (at < 0) return undefined;
  const from = at + name.length + 4;
  return text.slice(from, text.indexOf('"', from));
};
await Promise.all(
  Array.from({ length: request.subscribers }, (_, i) => {
    const socket = new WebSocket(request.wsUrl, 'graphql-transport-ws');
    sockets.push(socket);
    socket.on('close', (code) => {
      closedClients++;
      closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
    });
    return new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: request.authorization } })));
      socket.on('message', (data) => {
        const now = Date.now();
        const text = messageText(data);
        if (text.startsWith('{"type":"connection_ack"')) {
          socket.send(
            JSON.stringify({ id: '1', type: 'subscribe', payload: { query: subscription, variables: { filter: { usageType: [request.usageType] } } } }),
          );
          return resolve();
        }
        if (text.includes('"type":"ping"')) return socket.send('{"type":"pong"}');
        const description = field(text, 'description');
        if (description === undefined) {
          if (errorsSeen.length < 3 && !text.includes('"type":"pong"')) errorsSeen.push(text.slice(0, 300));
          return;
        }
        if (description === 'warm-up') {
          warmSeen[i] = true;
          return;
        }
        const sent = sentAt.get(description);
        if (sent === undefined || !measuring) return;
        perClient[i]!++;
        latencies.push(now - sent);
        fromEventTime.push(now - Date.parse(field(text, 'eventTime')!));
      });
    });
  }),
);

const mutationTimes: number[] = [];
async function create(description: string): Promise<void> {
  const started = Date.now();
  if (description !== 'warm-up') sentAt.set(description, started);
  const response = await fetch(request.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: request.authorization },
    body: JSON.stringify({
      query: mutation,
      variables: {
        input: {
          usageType: request.usageType,
          description,
          usageDate: new Date().toISOString(),
          usageSpecification: { id: request.specificationId },
          relatedParty: [{ role: 'customer', partyOrPartyRole: { id: request.partyId } }],
          usageCharacteristic: [{ name: 'volume', valueType: 'integer', value: 1 }],
        },
      },
    }),
  });
  const body = (await response.json()) as { errors?: unknown };
  if (body.errors) throw new Error(`createProductUsage failed: ${JSON.stringify(body.errors)}`);
  if (description !== 'warm-up') mutationTimes.push(Date.now() - started);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

// Warm-up: until every client has seen an event, at most 60 s.
const warmDeadline = Date.now() + 60_000;
while (warmSeen.some((seen) => !seen) && Date.now() < warmDeadline) {
  await create('warm-up');
  await sleep(250);
}
if (warmSeen.some((seen) => !seen)) {
  console.error(
    `${warmSeen.filter((s) => !s).length} of ${request.subscribers} subscribers saw no warm-up event within 60 s; ` +
      `closed: ${JSON.stringify([...closeCodes])}; other messages: ${errorsSeen.join(' | ')}`,
  );
  process.exit(1);
}
await sleep(500);
process.stdout.write('subscribed\n');
await once(createInterface({ input: process.stdin }), 'line');

measuring = true;
const count = request.rate * request.seconds;
const start = Date.now() + 50;
const pending: Promise<void>[] = [];
for (let n = 0; n < count; n++) {
  const wait = start + (n * 1000) / request.rate - Date.now();
  if (wait > 0) await sleep(wait);
  pending.push(create(`fan-out ${n}`));
}
await Promise.all(pending);
process.stdout.write('sent\n');
// Every client must see every event; wait for the stragglers, at most 30 s.
const deadline = Date.now() + 30_000;
while (latencies.length < count * request.subscribers && Date.now() < deadline) await sleep(100);

const expected = count * request.subscribers;
const result: FanOutResult = {
  events: count,
  deliveries: latencies.length,
  expected,
  clientsMissing: perClient.filter((n) => n < count).length,
  missing: expected - latencies.length,
  latency: {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    mean: latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1),
  },
  fromEventTime: { p50: percentile(fromEventTime, 50), p99: percentile(fromEventTime, 99), max: percentile(fromEventTime, 100) },
  closedClients,
  mutationP99: percentile(mutationTimes, 99),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
for (const socket of sockets) socket.terminate();
process.exit(0);
