import { setTimeout as pause } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Reads `read` until `done` holds for its answer, and returns that answer. The state a test waits
 * on lives in another process or a background worker (a job's status, a delivery, a database row),
 * so there is no event to await. On timeout the error names what it waited for and the last answer
 * read, so a failure says what was missing; a read that throws fails at once.
 */
export async function waitUntil<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${shown(value)}`);
    await pause(intervalMs);
  }
}

/** Polls `probe` until it answers something other than undefined or false, and returns that. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, options: WaitOptions = {}): Promise<T> {
  return (await waitUntil(what, probe, (value) => value !== undefined && value !== false, options)) as T;
}

/**
 * Reads `read` for `windowMs` and fails as soon as `holds` is false for an answer. Only for what is
 * itself a time window (nothing may happen while a worker is stopped): no event marks that nothing
 * happened, so the window must be at least as long as whatever would make it happen takes.
 */
export async function holdsFor<T>(what: string, read: () => T | Promise<T>, holds: (value: T) => boolean, windowMs: number, intervalMs = 25): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (!holds(value)) throw new Error(`${what} stopped holding after ${Date.now() - started} ms of ${windowMs} ms; seen: ${shown(value)}`);
    if (Date.now() - started >= windowMs) return value;
    await pause(intervalMs);
  }
}

/** A promise with its resolve and reject at hand: a test awaits what a callback settles. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (reason: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/**
 * State a test's own process changes from callbacks (requests a receiver got, events a subscriber
 * got): whoever changes it calls `changed()`, and `until` resolves at the first change after which
 * its test holds, with no polling; the timer is only the deadline.
 */
export class Watched {
  private readonly waiters = new Set<() => void>();

  changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  until(what: string, done: () => boolean, { timeoutMs = 10_000, seen = () => '' }: { timeoutMs?: number; seen?: () => string } = {}): Promise<void> {
    if (done()) return Promise.resolve();
    const { promise, resolve, reject } = deferred();
    const check = () => {
      if (!done()) return;
      finish();
      resolve();
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen()}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      this.waiters.delete(check);
    };
    this.waiters.add(check);
    return promise;
  }
}

/** The value as JSON, cut short: enough to see what was there without flooding the report. */
function shown(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
}
