/** What the rate-limit plugin asks of a limiter: 0 when `key` may go ahead (a token taken), otherwise the seconds until it may. */
export interface TenantLimiter {
  take(key: string): number | Promise<number>;
}

/**
 * A token bucket per key (the tenant): `perSecond` sustained, `burst` at once, in this process's
 * memory. Without REDIS_URL it is the gateway's rate limit, so N gateway instances behind a balancer
 * admit up to N times the rate in total. With REDIS_URL the bucket that counts is in Redis, one for
 * every instance (shared-rate-limiter.ts, key `usage-graph:rate:<tenant>`); this one then follows
 * what Redis says is left and decides only while Redis does not answer
 * (docs/security.md, "Limits"). Buckets that have refilled are dropped, so memory follows the number
 * of active tenants.
 */
export class RateLimiter implements TenantLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt = Date.now();

  constructor(
    readonly perSecond: number,
    readonly burst: number,
  ) {}

  /** 0 when `key` may go ahead (and takes a token), otherwise the seconds until it may. */
  take(key: string, now = Date.now()): number {
    if (this.perSecond <= 0) return 0;
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  /** Sets `key`'s bucket to `tokens` (what the shared bucket in Redis says is left). */
  follow(key: string, tokens: number, now = Date.now()): void {
    this.sweep(now);
    if (Number.isFinite(tokens)) this.buckets.set(key, { tokens: Math.min(this.burst, Math.max(0, tokens)), at: now });
  }

  /** A full bucket is the same as none: forget buckets that have refilled. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
  }
}
