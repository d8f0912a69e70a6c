import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { EntityCache, entityKey } from '../../gateway/entity-cache.js';
import { cachedMeasure, measureOperation } from '../../gateway/operation-cost.js';
import { cachedTokenVerifier } from '../../platform/token-cache.js';
import { TokenError, type VerifiedToken } from '../../platform/token-verifier.js';

const caller = { tenant: 't', subject: 's', scopes: [] };

describe('cachedTokenVerifier', () => {
  it('verifies a token once until it expires or the maximum age passes, and never remembers a refusal', async () => {
    let now = 1_000_000;
    let calls = 0;
    const verify = async (authorization: string | null | undefined): Promise<VerifiedToken> => {
      calls++;
      if (authorization === 'Bearer bad') throw new TokenError('bad');
      return { caller, expiresAt: authorization === 'Bearer short' ? now / 1000 + 5 : undefined };
    };
    const cached = cachedTokenVerifier(verify, { maxEntries: 2, maxAgeMs: 60_000, now: () => now });
    await cached('Bearer long');
    await cached('Bearer long');
    expect(calls).toBe(1);
    now += 60_001;
    await cached('Bearer long');
    expect(calls).toBe(2);
    await cached('Bearer short');
    now += 5_001;
    await cached('Bearer short');
    expect(calls).toBe(4);
    await expect(cached('Bearer bad')).rejects.toThrow(TokenError);
    await expect(cached('Bearer bad')).rejects.toThrow(TokenError);
    expect(calls).toBe(6);
  });

  it('forgets the oldest token beyond maxEntries', async () => {
    let calls = 0;
    const cached = cachedTokenVerifier(async () => (calls++, { caller }), { maxEntries: 2, maxAgeMs: 60_000 });
    for (const token of ['a', 'b', 'c', 'a']) await cached(`Bearer ${token}`);
    expect(calls).toBe(4);
  });
});

describe('cachedMeasure', () => {
  const schema = buildSchema('type Query { items(limit: Int): [Item!]! } type Item { id: ID! children(limit: Int): [Item!]! }');
  const pageSize = { defaultSize: 20, maxSize: 100 };
  it('gives what measureOperation gives, for each value of the limit variables', () => {
    const measure = cachedMeasure();
    const document = parse('query($n: Int, $m: Int, $other: String) { items(limit: $n) { id children(limit: $m) { id } } }');
    for (const variables of [{ n: 5, m: 2 }, { n: 5, m: 2, other: 'x' }, { n: 50, m: 3 }, { n: 5, m: 2 }, {}]) {
      expect(measure(schema, document, null, variables, pageSize)).toEqual(measureOperation(schema, document, null, variables, pageSize));
    }
    expect(measure(schema, document, null, { n: 50, m: 3 }, pageSize)?.cost).toBe(1 + 50 * (1 + 1 + 3 * 1));
  });
});

describe('EntityCache', () => {
  it('expires entries, evicts a tenant and subgraph by prefix, and drops a store that raced an eviction', () => {
    let now = 0;
    const cache = new EntityCache({ ttlMs: 1_000, maxEntries: 10, now: () => now });
    const a = { tenant: 'a', subgraph: 'party' };
    const b = { tenant: 'b', subgraph: 'party' };
    const keyA = entityKey(a, '', 'q', 'Party', '1');
    const keyB = entityKey(b, '', 'q', 'Party', '1');
    cache.set(keyA, '{"name":"A"}', a, cache.generation('a', 'party'));
    cache.set(keyB, '{"name":"B"}', b, cache.generation('b', 'party'));
    expect(cache.get(keyA)).toBe('{"name":"A"}');
    cache.evict(a);
    expect(cache.get(keyA)).toBeUndefined();
    expect(cache.get(keyB)).toBe('{"name":"B"}');
    const before = cache.generation('b', 'party');
    cache.evict(b);
    cache.set(keyB, '{"name":"stale"}', b, before);
    expect(cache.get(keyB)).toBeUndefined();
    cache.set(keyB, '{"name":"B2"}', b, cache.generation('b', 'party'));
    now = 1_001;
    expect(cache.get(keyB)).toBeUndefined();
  });
});
