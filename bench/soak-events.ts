import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { signature } from '../rest-adapter/hub-delivery.js';
import type { Http } from './soak-http.js';

/** One event as the soak saw it: its type and the usage it is about (with the description, which the patches set). */
export interface SeenEvent {
  eventType: string;
  usageId: string;
  description: string | null;
  /** How many times it arrived (more than 1: a duplicate delivery of the same eventId). */
  count: number;
}

/**
 * The webhook receiver: answers every delivery 200 at once and records it by `eventId`, checking
 * the signature as a partner would (docs/events.md, "Signing").
 */
export interface SoakReceiver {
  url: string;
  events: Map<string, SeenEvent>;
  deliveries: number;
  badSignatures: number;
  close(): Promise<void>;
}

export async function startSoakReceiver(secret: string): Promise<SoakReceiver> {
  const state = { events: new Map<string, SeenEvent>(), deliveries: 0, badSignatures: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      state.deliveries++;
      const timestamp = String(req.headers['x-usage-graph-timestamp'] ?? '');
      if (req.headers['x-usage-graph-signature'] !== signature(secret, timestamp, raw)) state.badSignatures++;
      try {
        const body = JSON.parse(raw) as { eventId: string; eventType: string; event: { productUsage?: { id: string; description?: string } } };
        const seen = state.events.get(body.eventId);
        if (seen) seen.count++;
        else
          state.events.set(body.eventId, {
            eventType: body.eventType,
            usageId: body.event.productUsage?.id ?? '',
            description: body.event.productUsage?.description ?? null,
            count: 1,
          });
      } catch {
        state.badSignatures++;
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/events`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

const subscription = `subscription SoakEvents {
  productUsageEvents { eventId eventType productUsage { id description usageSpecification { name } } }
}`;

/**
 * A graphql-ws subscriber held open for the whole soak: when its subscription ends (the usage
 * subgraph or the gateway was killed) or cannot be opened, it subscribes again a second later, as
 * the README tells clients to. Events made while it was away are not replayed: subscriptions are live
 * delivery, the hubs are the durable one.
 */
export interface SoakSubscriber {
  events: Map<string, SeenEvent>;
  duplicates: number;
  /** Subscriptions opened (the first included). */
  subscribes: number;
  /** How each subscription ended, e.g. `error: ...` or `closed 1006`. */
  ends: Map<string, number>;
  close(): Promise<void>;
}

export function startSoakSubscriber(wsUrl: () => string, authorization: string): SoakSubscriber {
  let client: Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const state: SoakSubscriber = {
    events: new Map(),
    duplicates: 0,
    subscribes: 0,
    ends: new Map(),
    close: async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.dispose();
    },
  };
  const ended = (why: string) => {
    state.ends.set(why, (state.ends.get(why) ?? 0) + 1);
    const old = client;
    client = undefined;
    void old?.dispose();
    if (!stopped) retry = setTimeout(open, 1_000);
  };
  const open = () => {
    if (stopped) return;
    state.subscribes++;
    let closeCode: number | undefined;
    const current = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization },
      on: { closed: (event) => (closeCode = (event as { code?: number }).code) },
    });
    client = current;
    let done = false;
    const end = (why: string) => {
      if (done || client !== current) return;
      done = true;
      ended(why);
    };
    current.subscribe<{ productUsageEvents: { eventId: string; eventType: string; productUsage: { id: string; description: string | null } } }>(
      { query: subscription },
      {
        next: (value) => {
          if (value.errors?.length) {
            const code = value.errors[0]!.extensions?.code;
            return end(`error: ${typeof code === 'string' ? code : value.errors[0]!.message}`);
          }
          const event = value.data!.productUsageEvents;
          const seen = state.events.get(event.eventId);
          if (seen) {
            seen.count++;
            state.duplicates++;
          } else
            state.events.set(event.eventId, {
              eventType: event.eventType,
              usageId: event.productUsage.id,
              description: event.productUsage.description,
              count: 1,
            });
        },
        error: (error: unknown) => {
          const code = closeCode ?? (error as { code?: number } | undefined)?.code;
          const graphqlCode = Array.isArray(error) ? (error[0] as { extensions?: { code?: string } }).extensions?.code : undefined;
          end(graphqlCode ? `error: ${graphqlCode}` : code !== undefined ? `closed ${code}` : `error: ${error instanceof Error ? error.message : 'unknown'}`);
        },
        complete: () => end('completed'),
      },
    );
  };
  open();
  return state;
}

/** One create through the REST facade, until the hub and every subscriber have seen its event: both are live. */
export async function warmUp(
  http: Http,
  v5: () => string,
  key: string,
  receiver: { events: Map<string, { usageId: string }> },
  subs: SoakSubscriber[],
  specificationId: string,
  partyId: string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let round = 0; ; round++) {
    // A subscriber that connected after the previous warm-up create has not seen it: another one, with another key.
    const answer = await http.json(
      'setup',
      `${v5()}/productUsage`,
      'POST',
      {
        '@type': 'ProductUsage',
        usageType: 'voice',
        description: 'warm-up',
        product: { '@type': 'ProductRef', id: 'prod-warm-up' },
        usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: specificationId },
        relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: partyId } }],
      },
      { 'idempotency-key': `${key}-${round}` },
    );
    if (answer.status !== 201) throw new Error(`the warm-up create answered ${answer.outcome}: ${JSON.stringify(answer.body)}`);
    const id = String(answer.body.id);
    const seen = (events: Map<string, { usageId: string }>) => [...events.values()].some((e) => e.usageId === id);
    const until = Date.now() + 5_000;
    while (Date.now() < until && !(seen(receiver.events) && subs.every((s) => seen(s.events)))) await sleep(50);
    if (seen(receiver.events) && subs.every((s) => seen(s.events))) return;
    if (Date.now() > deadline) throw new Error('the hub or a subscriber saw no warm-up event within 60 s');
  }
}
