import type { IncomingMessage } from 'node:http';
import { getOperationAST, OperationTypeNode, parse, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { ServerOptions } from 'graphql-ws';

/**
 * One upstream subscription for every client that subscribes with the same operation, variables and
 * credentials. Without it each of 1,000 clients watching the same events holds its own subscription
 * to the usage subgraph: every event is filtered and executed 1,000 times there, crosses to the
 * gateway 1,000 times and is planned and resolved 1,000 times here (bench/RESULTS.md, fan-out). Shared,
 * the event is resolved once and only the final send is per client.
 *
 * Sharing is safe only between clients that would get the same events: the key holds the whole
 * operation, its variables and extensions, the connection params and the upgrade request's
 * Authorization and Cookie headers, so two callers with different credentials (or tenants) never
 * share. A client that joins a running subscription gets the events from then on, as a fresh
 * subscription would. Queries and mutations over the socket are not shared.
 */
type Subscribe = (args: ExecutionArgs) => ReturnType<NonNullable<ServerOptions['subscribe']>>;

interface WsContext {
  params?: { query?: string; operationName?: string | null; variables?: unknown; extensions?: unknown };
  connectionParams?: unknown;
  req?: IncomingMessage;
}

/** Events a subscriber may hold before it is dropped: the socket's own limit closes slow readers first. */
const maxQueued = 10_000;

interface Listener {
  push(result: ExecutionResult): void;
  end(error?: unknown): void;
}

interface Upstream {
  listeners: Set<Listener>;
  /** The first subscriber's iterator: returned (upstream unsubscribed) when the last one leaves. */
  source?: AsyncIterator<ExecutionResult>;
}

const kinds = new Map<string, boolean>();

/** Whether a query string is a subscription (cached: clients resend the same few operations). */
function isSubscription(query: string, operationName: string | null | undefined): boolean {
  const key = `${operationName ?? ''}\n${query}`;
  let known = kinds.get(key);
  if (known === undefined) {
    try {
      known = getOperationAST(parse(query), operationName ?? undefined)?.operation === OperationTypeNode.SUBSCRIPTION;
    } catch {
      known = false; // the runtime answers the syntax error itself
    }
    if (kinds.size > 1_000) kinds.clear();
    kinds.set(key, known);
  }
  return known;
}

function keyOf(context: WsContext): string | undefined {
  const params = context.params;
  if (!params?.query || !isSubscription(params.query, params.operationName)) return undefined;
  const headers = context.req?.headers ?? {};
  return JSON.stringify([
    params.query,
    params.operationName ?? null,
    params.variables ?? null,
    params.extensions ?? null,
    context.connectionParams ?? null,
    headers.authorization ?? null,
    headers.cookie ?? null,
  ]);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

export function shareSubscriptions<O extends { subscribe?: Subscribe }>(options: O): O {
  const original = options.subscribe;
  if (!original) return options;
  const upstreams = new Map<string, Upstream>();

  /** A subscriber's own iterator over the shared events. */
  function join(key: string, upstream: Upstream): AsyncIterableIterator<ExecutionResult> {
    const queue: ExecutionResult[] = [];
    let waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
    let failWaiting: ((error: unknown) => void) | undefined;
    let done = false;
    /** Boxed: what ended the subscription may be any value the upstream threw. */
    let failure: { error: unknown } | undefined;
    const listener: Listener = {
      push(result) {
        if (done) return;
        if (waiting) {
          const resolve = waiting;
          waiting = failWaiting = undefined;
          resolve({ value: result, done: false });
        } else if (queue.length < maxQueued) {
          queue.push(result);
        } else {
          listener.end(new Error('Subscriber fell too far behind'));
          leave();
        }
      },
      end(error) {
        if (done) return;
        done = true;
        failure = error ? { error } : undefined;
        if (waiting) {
          const [resolve, reject] = [waiting, failWaiting!];
          waiting = failWaiting = undefined;
          if (error) reject(error);
          else resolve({ value: undefined, done: true });
        }
      },
    };
    const leave = () => {
      upstream.listeners.delete(listener);
      if (upstream.listeners.size === 0 && upstreams.get(key) === upstream) {
        upstreams.delete(key);
        void upstream.source?.return?.();
      }
    };
    upstream.listeners.add(listener);
    return {
      next() {
        const queued = queue.shift();
        if (queued) return Promise.resolve({ value: queued, done: false });
        if (done) return failure ? Promise.reject(failure.error) : Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          waiting = resolve;
          failWaiting = reject;
        });
      },
      return() {
        listener.end();
        queue.length = 0;
        leave();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw(error: unknown) {
        listener.end();
        leave();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  const subscribe: Subscribe = (args: ExecutionArgs) => {
    const key = keyOf(args.contextValue as WsContext);
    if (key === undefined) return original(args);
    const running = upstreams.get(key);
    if (running) return join(key, running);

    const upstream: Upstream = { listeners: new Set() };
    upstreams.set(key, upstream);
    const first = join(key, upstream);
    const started = (async () => {
      let result: Awaited<ReturnType<Subscribe>>;
      try {
        result = await original(args);
      } catch (error) {
        if (upstreams.get(key) === upstream) upstreams.delete(key);
        for (const listener of upstream.listeners) listener.end(error);
        throw error;
      }
      if (!isAsyncIterable(result)) {
        // An error result (validation, authorization): every waiting subscriber gets it as its one event.
        if (upstreams.get(key) === upstream) upstreams.delete(key);
        for (const listener of upstream.listeners) {
          listener.push(result);
          listener.end();
        }
        return;
      }
      const source = result[Symbol.asyncIterator]();
      upstream.source = source;
      if (upstream.listeners.size === 0) return void source.return?.();
      void (async () => {
        try {
          for (;;) {
            const next = await source.next();
            if (next.done) break;
            for (const listener of upstream.listeners) listener.push(next.value);
          }
          for (const listener of upstream.listeners) listener.end();
        } catch (error) {
          for (const listener of upstream.listeners) listener.end(error);
        } finally {
          if (upstreams.get(key) === upstream) upstreams.delete(key);
        }
      })();
    })();
    // The first subscriber waits for the upstream to be in place, as it would without sharing.
    return started.then(() => first);
  };
  return { ...options, subscribe };
}
