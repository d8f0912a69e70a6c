import { describe, expect, it } from 'vitest';
import { contentHash, idempotencyKey, ingestedUsageDocument, normalize, usageIdOf, violation } from '../../subgraphs/usage/ingestion/usages.js';
import type { IngestionRule } from '../../subgraphs/usage/ingestion/catalogue.js';

const now = new Date('2026-11-25T12:00:00Z');
const limits = { lateWindowDays: 30, defaultProvider: 'prov' };
const input = { tenantId: ' acme ', userId: 'jo', application: 'app', resource: 'r1', unit: 'kwh', value: 5, datetime: new Date('2026-11-24T10:00:00Z') };
const rule = (fields: Partial<IngestionRule> = {}): IngestionRule => ({
  application: 'app',
  unit: 'kwh',
  accepted: true,
  ...fields,
});

describe('normalize', () => {
  it('trims names, defaults userType and provider, and makes a usage without user the tenant itself', () => {
    expect(normalize(input, 'prov')).toMatchObject({ tenant: 'acme', user: 'jo', userType: 'user', provider: 'prov', alias: null, externalIdentifier: null });
    expect(normalize({ ...input, userId: null, userType: 'agent' }, 'prov')).toMatchObject({ user: null, userType: 'tenant' });
    expect(normalize({ ...input, userType: 'agent', provider: 'p2' }, 'prov')).toMatchObject({ userType: 'agent', provider: 'p2' });
  });
});

describe('idempotency', () => {
  const a = normalize(input, 'prov');
  it('keys a usage by its externalIdentifier within the tenant, or by the fields that name one measurement', () => {
    expect(idempotencyKey({ ...a, externalIdentifier: 'e1' })).toBe(idempotencyKey({ ...a, externalIdentifier: 'e1', resource: 'other', value: 9 }));
    expect(idempotencyKey({ ...a, externalIdentifier: 'e1' })).not.toBe(idempotencyKey({ ...a, tenant: 't2', externalIdentifier: 'e1' }));
    expect(idempotencyKey(a)).toBe(idempotencyKey({ ...a, value: 9 }));
    for (const change of [{ resource: 'r2' }, { unit: 'mwh' }, { user: 'x' }, { datetime: new Date('2026-11-24T10:00:01Z') }, { alias: 'al' }]) {
      expect(idempotencyKey({ ...a, ...change })).not.toBe(idempotencyKey(a));
    }
  });
  it('hashes the content, so a changed value under the same key is told apart from a resend', () => {
    expect(contentHash(a)).toBe(contentHash(normalize(input, 'prov')));
    expect(contentHash({ ...a, value: 6 })).not.toBe(contentHash(a));
  });
  it('derives a UUID-shaped id from the key, the same in every process', () => {
    expect(usageIdOf('t1', 'k')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-b[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(usageIdOf('t1', 'k')).toBe(usageIdOf('t1', 'k'));
    expect(usageIdOf('t1', 'k')).not.toBe(usageIdOf('t1', 'l'));
    // Per tenant: the same key from two tenants makes two usages.
    expect(usageIdOf('t1', 'k')).not.toBe(usageIdOf('t2', 'k'));
  });
});

describe('violation', () => {
  const at = (days: number) => normalize({ ...input, datetime: new Date(now.getTime() + days * 86_400_000) }, 'prov');
  const check = (usage: ReturnType<typeof normalize>, r?: IngestionRule) => violation(usage, r, limits, now)?.rule ?? null;
  it('accepts anything within the late window when there is no rule', () => {
    expect(check(at(-29))).toBeNull();
    expect(check({ ...at(400), value: -1.5 })).toBeNull();
    expect(check(at(-31))).toBe('lateWindow');
  });
  it('names the first rule broken, in a fixed order', () => {
    const u = normalize(input, 'prov');
    expect(check(u, rule({ accepted: false, maxValue: 1 }))).toBe('unitNotAccepted');
    expect(check({ ...u, value: 1.5 }, rule({ valueType: 'INTEGER' }))).toBe('valueType');
    expect(check({ ...u, value: 1.5 }, rule({ valueType: 'DECIMAL' }))).toBeNull();
    expect(check({ ...u, value: 0 }, rule({ minValue: 1 }))).toBe('minValue');
    expect(check({ ...u, value: 1 }, rule({ minValue: 1, maxValue: 1 }))).toBeNull();
    expect(check({ ...u, value: 2 }, rule({ maxValue: 1 }))).toBe('maxValue');
    expect(check(at(-3), rule({ maxPastDays: 2 }))).toBe('maxPastDays');
    expect(check(at(-2), rule({ maxPastDays: 2 }))).toBeNull();
    expect(check(at(2), rule({ maxFutureDays: 1 }))).toBe('maxFutureDays');
    expect(check(at(1), rule({ maxFutureDays: 1 }))).toBeNull();
  });
});

describe('ingestedUsageDocument', () => {
  it('stores the day and month of usageDate in UTC and the sender fields beside the TMF usage', () => {
    const u = normalize({ ...input, datetime: new Date('2026-11-30T23:30:00-02:00'), externalIdentifier: 'e' }, 'prov');
    const doc = ingestedUsageDocument(u, { tenant: 't1', key: 'k', hash: 'h', specificationId: 's', jobId: null }, 'VERIFIED', now);
    expect(doc.ingest).toMatchObject({ day: '2026-12-01', month: '2026-12', tenant: 'acme', processStatus: 'VERIFIED' });
    expect(doc._id).toBe(usageIdOf('t1', 'k'));
    expect(doc.tenant).toBe('t1');
    expect(doc.status).toBe('validated');
    expect(doc.externalIdentifier).toEqual([{ id: 'e', owner: 'acme', externalIdentifierType: 'usageTransparency' }]);
  });
});
