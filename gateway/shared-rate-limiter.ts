import { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.js';
import type { RateLimiter, TenantLimiter } from './rate-limiter.js';

/** The Redis key of a tenant's bucket. Every gateway on one Redis shares it. */
export const rateKey = (tenant: string): string => `usage-graph:rate:${tenant}`;

/**
 * The token bucket of rate-limiter.ts, as one Lua script so that reading, refilling and taking a
 * token is atomic across every gateway (Redis runs a script alone). Clock: Redis's TIME, so gateways
 * whose clocks differ still agree (Redis 5+, where scripts replicate their effects). A bucket that has
 * refilled is the same as none, so the key expires once it would be full: idle tenants cost nothing.
 *
 * Why a script of our own and not rate-limiter-flexible (maintained, on npm, the usual choice with
 * ioredis, and looked at first): its Redis limiters count fixed windows of whole seconds (`points`
 * per `duration`, an "enhanced fixed window"), not a bucket with a sustained rate and a burst above
 * it; its BurstyRateLimiter only approximates that, and a rate below one per second or not whole
 * needs its window rescaled. This keeps the semantics the gateway had, in one round trip (EVALSHA;
 * ioredis sends the script with EVAL when Redis does not have it yet).
 */
const takeScript = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = burst
if bucket[1] and bucket[2] then
  tokens = math.min(burst, tonumber(bucket[1]) + math.max(0, now - tonumber(bucket[2])) / 1000 * rate)
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {wait, tostring(tokens)}
`;

// The tokens left travel as a string: Redis would cut a Lua number to an integer.
type ScriptedRedis = Redis & { takeRateToken(key: string, perSecond: number, burst: number): Promise<[number, string]> };

/** True at most once per `intervalMs` (from the first call); the clock is passed in. */
export class OncePer {
  private last = -Infinity;
  constructor(private readonly intervalMs: number) {}

  due(now: number): boolean {
    if (now - this.last < this.intervalMs) return false;
    this.last = now;
    return true;
  }
}

export interface SharedRateLimiterOptions {
  redisUrl: string;
  /** This process's buckets (with the rate and burst for Redis too), taken when Redis does not answer. */
  fallback: RateLimiter;
  logger: Logger;
  /** How long a request waits for Redis before it takes the fallback's token. */
  timeoutMs?: number;
  /** After three timeouts in a row, how long requests go straight to the fallback before Redis is asked again. */
  pauseMs?: number;
}

/** A reply that did not come in time. */
class RedisTimeout extends Error {
  override name = 'RedisTimeout';
}

/**
 * RATE_LIMIT_PER_SECOND / RATE_LIMIT_BURST per tenant as one budget for every gateway on REDIS_URL.
 * Redis must not turn into a failure of the graph: when it is down, slow (past `timeoutMs`, 50 ms) or
 * refuses, the request takes a token of this process's bucket instead, and a warning is logged at
 * most once a minute. After three timeouts in a row requests skip Redis for `pauseMs` (1 s), so a
 * hanging Redis does not add its wait to each one; one late reply alone (a busy machine) costs one
 * request decided here, not a second of them. While Redis answers, this process's bucket follows
 * what Redis says is left, so an outage goes on from the shared state rather than from a full burst
 * on every gateway. `take` never rejects.
 */
export class SharedRateLimiter implements TenantLimiter {
  private readonly redis: ScriptedRedis;
  private readonly fallback: RateLimiter;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly pauseMs: number;
  private readonly warnings = new OncePer(60_000);
  private skipUntil = 0;
  private timeoutsInARow = 0;
  private failing = false;

  constructor(options: SharedRateLimiterOptions) {
    this.fallback = options.fallback;
    this.log = options.logger;
    this.timeoutMs = options.timeoutMs ?? 50;
    this.pauseMs = options.pauseMs ?? 1_000;
    // No offline queue and no retries: a command while disconnected fails at once (the fallback
    // answers) instead of waiting for a reconnection; reconnecting goes on in the background.
    this.redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2_000 }) as ScriptedRedis;
    this.redis.defineCommand('takeRateToken', { numberOfKeys: 1, lua: takeScript });
    // Without a listener ioredis prints every failed reconnection; one warning a minute says it.
    this.redis.on('error', (error: Error) => this.failed(error));
  }

  async take(tenant: string): Promise<number> {
    if (this.fallback.perSecond <= 0) return 0;
    if (Date.now() >= this.skipUntil) {
      try {
        const [wait, tokens] = await this.answered(this.redis.takeRateToken(rateKey(tenant), this.fallback.perSecond, this.fallback.burst));
        this.fallback.follow(tenant, Number(tokens));
        this.timeoutsInARow = 0;
        if (this.failing) {
          this.failing = false;
          this.log.info('Redis answers the rate limiter again: the per-tenant rate limit is shared by every gateway again');
        }
        return wait;
      } catch (error) {
        if (error instanceof RedisTimeout && ++this.timeoutsInARow >= 3) this.skipUntil = Date.now() + this.pauseMs;
        this.failed(error);
      }
    }
    return this.fallback.take(tenant);
  }

  /**
   * Resolves true once the connection to Redis is up (at once if it is), false after `timeoutMs`.
   * The gateway waits for it before it listens, so its first requests do not each take a full burst
   * from the fallback.
   */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', ready);
        resolve(false);
      }, timeoutMs);
      const ready = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.redis.once('ready', ready);
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /**
   * `reply`, or a rejection when it has not come within `timeoutMs`. Not ioredis's commandTimeout:
   * its timer fires when the event loop comes back from a long task (a GC pause, a large response)
   * even if the reply arrived meanwhile, so a busy gateway would fall back with Redis answering in
   * a millisecond. Here the timer looks once more after the event loop has read the sockets
   * (setImmediate runs after the poll phase), so only a reply that truly is late counts.
   */
  private answered<T>(reply: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(
        () =>
          setImmediate(() => {
            if (settled) return;
            settled = true;
            reject(new RedisTimeout(`no answer within ${this.timeoutMs} ms`));
          }),
        this.timeoutMs,
      );
      reply.then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error('Redis refused the command'));
        },
      );
    });
  }

  private failed(error: unknown): void {
    const now = Date.now();
    this.failing = true;
    if (this.warnings.due(now)) {
      const reason = error instanceof Error ? error.message : 'unknown error';
      this.log.warn(
        `Redis does not answer the rate limiter (${reason}; connection ${this.redis.status}): this gateway limits each tenant on its own until it does`,
      );
    }
  }
}
