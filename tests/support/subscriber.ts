import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { currentToken, type Stack } from './stack.js';
import { usageEventTopic } from '../../subgraphs/usage/product-usage/events.js';
import { waitUntil, Watched } from './wait.js';

/** A real graphql-ws client on a gateway, collecting what one subscription delivers. */
export interface Subscriber {
  events: any[];
  errors: unknown[];
  completed: boolean;
  /** Resolves once `count` events have arrived (rejects after `ms`). */
  received(count: number, ms?: number): Promise<any[]>;
  /** Resolves when the subscription errored or completed. */
  ended(ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** `token` defaults to the test file's stack token; null connects without one. */
export function subscribe(wsUrl: string, query: string, variables: Record<string, unknown> = {}, token: string | null | undefined = currentToken): Subscriber {
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  const watched = new Watched();
  const seen = () => `${JSON.stringify(state.events)} errors ${JSON.stringify(state.errors)}`;
  const state: Subscriber = {
    events: [],
    errors: [],
    completed: false,
    async received(count, ms = 5_000) {
      await watched.until(`${count} subscription events`, () => state.events.length >= count, { timeoutMs: ms, seen });
      return state.events;
    },
    ended: (ms = 5_000) => watched.until('the subscription to end', () => state.completed || state.errors.length > 0, { timeoutMs: ms, seen }),
    close: () => client.dispose() as Promise<void>,
  };
  client.subscribe(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) state.errors.push(value.errors);
        else state.events.push(value.data);
        watched.changed();
      },
      error: (error) => {
        state.errors.push(error);
        watched.changed();
      },
      complete: () => {
        state.completed = true;
        watched.changed();
      },
    },
  );
  return state;
}

/** Waits until `count` subscriptions are live on the stack's usage subgraph (deferred, not a guess). */
export async function subscribersLive(stack: Stack, count: number, ms = 5_000): Promise<void> {
  const topic = usageEventTopic(stack.config.mongodbDb);
  // The count lives in the bus, which announces no change: read it until it is reached.
  await waitUntil(
    `${count} live subscriptions on the usage subgraph`,
    () => stack.system.bus.subscriberCount(topic),
    (live) => live >= count,
    {
      timeoutMs: ms,
      intervalMs: 10,
    },
  );
}
