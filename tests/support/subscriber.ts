import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { currentToken, type Stack } from './stack.js';
import { usageEventTopic } from '../../subgraphs/usage/product-usage/events.js';

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
  const state: Subscriber = {
    events: [],
    errors: [],
    completed: false,
    async received(count, ms = 5_000) {
      const deadline = Date.now() + ms;
      while (state.events.length < count) {
        if (Date.now() > deadline)
          throw new Error(`got ${state.events.length} of ${count} events: ${JSON.stringify(state.events)} errors ${JSON.stringify(state.errors)}`);
        await sleep(10);
      }
      return state.events;
    },
    async ended(ms = 5_000) {
      const deadline = Date.now() + ms;
      while (!state.completed && state.errors.length === 0) {
        if (Date.now() > deadline) throw new Error('the subscription did not end');
        await sleep(10);
      }
    },
    close: () => client.dispose() as Promise<void>,
  };
  client.subscribe(
    { query, variables },
    {
      next: (value) => (value.errors ? state.errors.push(value.errors) : state.events.push(value.data)),
      error: (error) => state.errors.push(error),
      complete: () => (state.completed = true),
    },
  );
  return state;
}

/** Waits until `count` subscriptions are live on the stack's usage subgraph (deferred, not a guess). */
export async function subscribersLive(stack: Stack, count: number, ms = 5_000): Promise<void> {
  const topic = usageEventTopic(stack.config.mongodbDb);
  const deadline = Date.now() + ms;
  while (stack.system.bus.subscriberCount(topic) < count) {
    if (Date.now() > deadline) throw new Error(`only ${stack.system.bus.subscriberCount(topic)} of ${count} subscriptions became live`);
    await sleep(10);
  }
}
