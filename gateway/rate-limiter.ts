/**
 * A token bucket per key (the tenant): `perSecond` sustained, `burst` at once. In memory, per
 * process: N gateway instances behind a balancer allow up to N times the rate in total (docs/security.md,
 * "Limits"). Idle buckets are dropped, so memory follows the number of active tenants.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt = Date.now();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
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

  /** A full bucket is the same as none: forget buckets that have refilled. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
  }
}
