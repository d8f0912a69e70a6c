import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../gateway/rate-limiter.js';

describe('the per-tenant token bucket', () => {
  it('allows the burst, then one request per 1/rate seconds, and says how long to wait', () => {
    const limiter = new RateLimiter(2, 3);
    const t = 1_000_000;
    expect([limiter.take('a', t), limiter.take('a', t), limiter.take('a', t)]).toEqual([0, 0, 0]);
    expect(limiter.take('a', t)).toBe(1);
    expect(limiter.take('b', t)).toBe(0);
    expect(limiter.take('a', t + 500)).toBe(0);
    expect(limiter.take('a', t + 500)).toBe(1);
    expect(new RateLimiter(0.1, 1).take('c', t) + new RateLimiter(0.1, 1).take('c', t)).toBe(0);
    const slow = new RateLimiter(0.1, 1);
    slow.take('c', t);
    expect(slow.take('c', t)).toBe(10);
  });

  it('is off at rate 0', () => {
    const off = new RateLimiter(0, 1);
    for (let i = 0; i < 100; i++) expect(off.take('a')).toBe(0);
  });
});
