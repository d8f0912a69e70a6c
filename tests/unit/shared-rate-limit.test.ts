import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../gateway/rate-limiter.js';
import { OncePer, rateKey } from '../../gateway/shared-rate-limiter.js';

describe('the shared rate limit, its pure parts', () => {
  it('names one prefixed key per tenant', () => {
    expect(rateKey('acme')).toBe('usage-graph:rate:acme');
    expect(rateKey('a:b')).not.toBe(rateKey('a'));
  });

  it('warns at most once per interval, from the first time', () => {
    const once = new OncePer(60_000);
    const t = 1_000_000;
    expect([once.due(t), once.due(t + 1), once.due(t + 59_999)]).toEqual([true, false, false]);
    expect([once.due(t + 60_000), once.due(t + 60_001)]).toEqual([true, false]);
  });

  it('lets the per-process bucket go on from what Redis said was left, not from a full burst', () => {
    const limiter = new RateLimiter(2, 10);
    const t = 1_000_000;
    limiter.follow('a', 1, t);
    expect([limiter.take('a', t), limiter.take('a', t)]).toEqual([0, 1]);
    // It refills at the rate from there, and never past the burst or below empty.
    expect(limiter.take('a', t + 500)).toBe(0);
    limiter.follow('b', 50, t);
    expect(Array.from({ length: 11 }, () => limiter.take('b', t))).toEqual([...Array<number>(10).fill(0), 1]);
    limiter.follow('c', -3, t);
    expect(limiter.take('c', t)).toBe(1);
    // A reply that is not a number leaves the bucket as it was.
    limiter.follow('d', Number('not a number'), t);
    expect(limiter.take('d', t)).toBe(0);
  });
});
