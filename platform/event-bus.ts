import { Redis } from 'ioredis';
import { BSON } from 'mongodb';

/**
 * Delivers events from publishers to subscribers. In one process it is a plain in-memory fan-out;
 * with REDIS_URL every instance publishes to Redis and receives from it, so an event published by
 * any usage-subgraph instance reaches subscribers on every instance. Payloads travel as extended
 * JSON, so dates stay dates.
 *
 * Each subscriber has a bounded queue: a consumer that falls `maxQueue` events behind is ended with
 * SubscriberTooSlowError instead of holding memory without limit or stalling the others.
 */
export interface EventBus {
  publish(topic: string, payload: object): Promise<void>;
  subscribe<T>(topic: string): AsyncIterableIterator<T>;
  /** Subscribers in this process whose subscription is live (for Redis: confirmed by the server). */
  subscriberCount(topic: string): number;
  close(): Promise<void>;
}

export class SubscriberTooSlowError extends Error {
  override name = 'SubscriberTooSlowError';
}

class Subscription<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private ended = false;

  constructor(
    private readonly maxQueue: number,
    private readonly onEnd: () => void,
  ) {}

  push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value, done: false });
    } else if (this.queue.length >= this.maxQueue) {
      this.failure = new SubscriberTooSlowError(`The subscriber fell ${this.maxQueue} events behind and was ended; subscribe again.`);
      this.end();
    } else {
      this.queue.push(value);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: Error): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = this.failure ? 0 : this.queue.length;
    this.onEnd();
    const waiting = this.waiting;
    this.waiting = undefined;
    if (!waiting) return;
    if (this.failure) waiting.reject(this.failure);
    else waiting.resolve({ value: undefined, done: true });
  }
}

/** The fan-out every bus uses locally. */
class LocalFanOut {
  readonly topics = new Map<string, Set<Subscription<unknown>>>();
  private readonly live = new Set<string>();

  constructor(private readonly maxQueue: number) {}

  count(topic: string): number {
    return this.live.has(topic) ? (this.topics.get(topic)?.size ?? 0) : 0;
  }

  subscribe<T>(topic: string, onFirst?: () => Promise<unknown> | void, onLast?: () => void): Subscription<T> {
    let subscribers = this.topics.get(topic);
    if (!subscribers) {
      subscribers = new Set();
      this.topics.set(topic, subscribers);
      const ready = onFirst?.();
      if (ready)
        void ready.then(
          () => this.topics.has(topic) && this.live.add(topic),
          () => undefined,
        );
      else this.live.add(topic);
    }
    const set = subscribers;
    const subscription = new Subscription<T>(this.maxQueue, () => {
      set.delete(subscription as Subscription<unknown>);
      if (set.size === 0 && this.topics.get(topic) === set) {
        this.topics.delete(topic);
        this.live.delete(topic);
        onLast?.();
      }
    });
    set.add(subscription as Subscription<unknown>);
    return subscription;
  }

  deliver(topic: string, payload: unknown): void {
    for (const subscriber of this.topics.get(topic) ?? []) subscriber.push(payload);
  }

  endAll(): void {
    for (const set of this.topics.values()) for (const subscriber of [...set]) void subscriber.return();
  }
}

export function createMemoryBus(maxQueue = 1_000): EventBus {
  const local = new LocalFanOut(maxQueue);
  return {
    async publish(topic, payload) {
      local.deliver(topic, payload);
    },
    subscribe: (topic) => local.subscribe(topic),
    subscriberCount: (topic) => local.count(topic),
    async close() {
      local.endAll();
    },
  };
}

export async function createRedisBus(url: string, maxQueue = 1_000): Promise<EventBus> {
  // Redis needs a connection of its own for subscribing; publishing goes on another.
  const options = { lazyConnect: true, maxRetriesPerRequest: 3, enableOfflineQueue: true };
  const publisher = new Redis(url, options);
  const subscriber = new Redis(url, options);
  await Promise.all([publisher.connect(), subscriber.connect()]);
  const local = new LocalFanOut(maxQueue);
  subscriber.on('message', (topic: string, message: string) => {
    local.deliver(topic, BSON.EJSON.parse(message, { relaxed: false }));
  });
  return {
    async publish(topic, payload) {
      await publisher.publish(topic, BSON.EJSON.stringify(payload, { relaxed: false }));
    },
    subscribe: (topic) =>
      local.subscribe(
        topic,
        () => subscriber.subscribe(topic),
        () => void subscriber.unsubscribe(topic).catch(() => undefined),
      ),
    subscriberCount: (topic) => local.count(topic),
    async close() {
      local.endAll();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}

/** REDIS_URL set: Redis, so several instances share events; unset: this process only. */
export function createEventBus(redisUrl: string | undefined): Promise<EventBus> {
  return redisUrl ? createRedisBus(redisUrl) : Promise.resolve(createMemoryBus());
}

/** The values of `source` that pass `keep`; ending the result ends the source. */
export function filterEvents<T>(source: AsyncIterableIterator<T>, keep: (value: T) => boolean): AsyncIterableIterator<T> {
  return {
    async next() {
      for (;;) {
        const result = await source.next();
        if (result.done || keep(result.value)) return result;
      }
    },
    return: () => source.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    throw: (error: unknown) => source.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
