import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRuleDocument, IngestedUsageDocument, IngestUsagesDocument, UpdateRuleDocument, type UsageIngestInput } from '../operations/generated.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';
import { subscribe, subscribersLive } from '../support/subscriber.js';

/** Synchronous ingestion through the graph: rules, idempotency, the stored usage and its event. */
let stack: Stack;
const day = 86_400_000;
// One base instant for the file: the same usage built twice names the same measurement.
const t0 = Date.now();
const at = (offsetDays: number) => new Date(t0 + offsetDays * day).toISOString().replace(/\.\d{3}Z$/, 'Z');

const usage = (overrides: Partial<UsageIngestInput> = {}): UsageIngestInput => ({
  tenantId: 'acme',
  userId: 'jo@acme.example',
  application: 'meter',
  resource: 'asset-1',
  unit: 'kwh',
  value: 10,
  datetime: at(-1),
  ...overrides,
});

const stored = () => stack.db.collection('productUsages').countDocuments({ 'ingest.application': { $in: ['meter', 'free', 'closed'] } });

beforeAll(async () => {
  stack = await startStack('ingestion', { INGEST_MAX_BATCH: '50', INGEST_LATE_WINDOW_DAYS: '30' });
  for (const input of [
    { application: 'meter', unit: 'kwh', valueType: 'INTEGER' as const, minValue: 0, maxValue: 100, maxPastDays: 20, maxFutureDays: 1 },
    { application: 'closed', unit: 'kwh', accepted: false },
  ]) {
    dataOf(await stack.request(CreateRuleDocument, { input }));
  }
});
afterAll(async () => {
  await stack?.close();
});

describe('ingestProductUsages', () => {
  it('keeps the valid usages of a mixed batch and names the rule each rejected one broke', async () => {
    const batch = [
      usage({ resource: 'ok-1', value: 7 }),
      usage({ resource: 'bad-type', value: 1.5 }),
      usage({ resource: 'too-big', value: 101 }),
      usage({ resource: 'negative', value: -1 }),
      usage({ resource: 'old', datetime: at(-25) }),
      usage({ resource: 'future', datetime: at(3) }),
      usage({ resource: 'late', datetime: at(-31) }),
      usage({ application: 'closed', resource: 'closed-1' }),
      usage({ application: 'free', unit: 'calls', resource: 'free-1', value: 2.25, userId: null }),
    ];
    const before = await stored();
    const result = dataOf(await stack.request(IngestUsagesDocument, { usages: batch })).ingestProductUsages;
    expect(result).toMatchObject({ storedCount: 2, duplicateCount: 0, rejectedCount: 7 });
    expect(result.errors.map((e) => [e.index, e.code, e.rule, e.errorType])).toEqual([
      [1, 'BAD_USER_INPUT', 'valueType', 'ValidationError'],
      [2, 'BAD_USER_INPUT', 'maxValue', 'ValidationError'],
      [3, 'BAD_USER_INPUT', 'minValue', 'ValidationError'],
      [4, 'BAD_USER_INPUT', 'maxPastDays', 'ValidationError'],
      [5, 'BAD_USER_INPUT', 'maxFutureDays', 'ValidationError'],
      [6, 'BAD_USER_INPUT', 'lateWindow', 'ValidationError'],
      [7, 'BAD_USER_INPUT', 'unitNotAccepted', 'ValidationError'],
    ]);
    expect(result.errors[1]!.messageParameters).toEqual([
      { name: 'value', value: '101' },
      { name: 'maxValue', value: '100' },
    ]);
    expect(result.errors[1]!.usage).toMatchObject({ resource: 'too-big', value: 101, tenantId: 'acme' });
    expect(result.usageIds.map((id) => id !== null)).toEqual([true, false, false, false, false, false, false, false, true]);
    expect(await stored()).toBe(before + 2);

    const docs = await stack.db
      .collection('productUsages')
      .find({ _id: { $in: result.usageIds.filter(Boolean) as never[] } })
      .toArray();
    expect(docs.map((d) => [d.ingest.resource, d.ingest.processStatus]).sort()).toEqual([
      ['free-1', 'NOVERIFICATION'],
      ['ok-1', 'VERIFIED'],
    ]);
  });

  it('stores each usage as a full ProductUsage: specification of its application and unit, parties, characteristics', async () => {
    const result = dataOf(
      await stack.request(IngestUsagesDocument, { usages: [usage({ resource: 'shape', value: 42, alias: 'cockpit', externalIdentifier: 'ext-shape' })] }),
    ).ingestProductUsages;
    const again = dataOf(await stack.request(IngestUsagesDocument, { usages: [usage({ resource: 'other', value: 3, datetime: at(-2) })] })).ingestProductUsages;
    const { productUsage } = dataOf(await stack.request(IngestedUsageDocument, { id: result.usageIds[0]! }));
    const { productUsage: other } = dataOf(await stack.request(IngestedUsageDocument, { id: again.usageIds[0]! }));
    expect(productUsage).toEqual({
      id: result.usageIds[0],
      status: 'validated',
      usageDate: expect.any(String),
      usageType: 'kwh',
      usageSpecification: { id: expect.any(String), name: 'meter kwh' },
      relatedParty: [
        { role: 'consumer', partyOrPartyRole: { id: 'acme' } },
        { role: 'user', partyOrPartyRole: { id: 'jo@acme.example' } },
        { role: 'provider', partyOrPartyRole: { id: 'default' } },
      ],
      usageCharacteristic: [
        { name: 'value', valueType: 'integer', value: 42 },
        { name: 'unit', valueType: 'string', value: 'kwh' },
        { name: 'resource', valueType: 'string', value: 'shape' },
        { name: 'application', valueType: 'string', value: 'meter' },
        { name: 'alias', valueType: 'string', value: 'cockpit' },
      ],
      externalIdentifier: [{ id: 'ext-shape' }],
    });
    // One specification per application and unit, whichever batch created it.
    expect(other!.usageSpecification!.id).toBe(productUsage!.usageSpecification!.id);
    expect(await stack.db.collection('productUsageSpecifications').countDocuments({ name: 'meter kwh' })).toBe(1);
    // TMF listings show it like any other usage.
    const v5 = await stack.rest('GET', `/tmf-api/productUsageManagement/v5/productUsage/${result.usageIds[0]}`);
    expect(v5.status).toBe(200);
    expect(v5.body).toMatchObject({ id: result.usageIds[0], usageSpecification: { id: productUsage!.usageSpecification!.id } });
  });

  it('acknowledges a resent batch without storing it twice, and reports a changed resend as CONFLICT per usage', async () => {
    const batch = [usage({ resource: 'r-1', value: 1 }), usage({ resource: 'r-2', value: 2, externalIdentifier: 'ext-r2' })];
    const first = dataOf(await stack.request(IngestUsagesDocument, { usages: batch })).ingestProductUsages;
    expect(first).toMatchObject({ storedCount: 2, duplicateCount: 0, rejectedCount: 0 });
    const count = await stored();

    const resend = dataOf(await stack.request(IngestUsagesDocument, { usages: batch })).ingestProductUsages;
    expect(resend).toMatchObject({ storedCount: 0, duplicateCount: 2, rejectedCount: 0, usageIds: first.usageIds });
    expect(await stored()).toBe(count);

    // Same sender fields with another value; same externalIdentifier with another resource; plus one new usage.
    const changed = [usage({ resource: 'r-1', value: 5 }), usage({ resource: 'r-2b', value: 2, externalIdentifier: 'ext-r2' }), usage({ resource: 'r-3' })];
    const conflict = dataOf(await stack.request(IngestUsagesDocument, { usages: changed })).ingestProductUsages;
    expect(conflict).toMatchObject({ storedCount: 1, duplicateCount: 0, rejectedCount: 2 });
    expect(conflict.errors.map((e) => [e.index, e.code, e.rule, e.errorType])).toEqual([
      [0, 'CONFLICT', 'idempotency', 'OtherError'],
      [1, 'CONFLICT', 'idempotency', 'OtherError'],
    ]);
    expect(await stored()).toBe(count + 1);
    const values = await stack.db.collection('productUsages').find({ 'ingest.resource': 'r-1' }).toArray();
    expect(values.map((d) => d.ingest.value)).toEqual([1]);
  });

  it('treats the same key twice in one batch as one usage, and a different content under it as a conflict', async () => {
    const a = usage({ resource: 'twice', value: 4 });
    const result = dataOf(await stack.request(IngestUsagesDocument, { usages: [a, a, { ...a, value: 9 }] })).ingestProductUsages;
    expect(result).toMatchObject({ storedCount: 1, duplicateCount: 1, rejectedCount: 1 });
    expect(result.usageIds[1]).toBe(result.usageIds[0]);
    expect(result.errors.map((e) => [e.index, e.code])).toEqual([[2, 'CONFLICT']]);
  });

  it('stores usages unverified while their rule is inactive', async () => {
    const rule = dataOf(await stack.request(CreateRuleDocument, { input: { application: 'meter', unit: 'liters', maxValue: 1 } })).createIngestionRule;
    const refused = dataOf(await stack.request(IngestUsagesDocument, { usages: [usage({ unit: 'liters', value: 5, resource: 'l-1' })] })).ingestProductUsages;
    expect(refused.errors.map((e) => e.rule)).toEqual(['maxValue']);
    dataOf(await stack.request(UpdateRuleDocument, { id: rule.id, patch: { active: false } }));
    const kept = dataOf(await stack.request(IngestUsagesDocument, { usages: [usage({ unit: 'liters', value: 5, resource: 'l-1' })] })).ingestProductUsages;
    expect(kept).toMatchObject({ storedCount: 1, rejectedCount: 0 });
    const doc = await stack.db.collection('productUsages').findOne({ _id: kept.usageIds[0] as never });
    expect(doc?.ingest.processStatus).toBe('NOVERIFICATION');
    expect(doc?.status).toBe('initialized');
  });

  it('refuses a batch over the maximum, or with a malformed usage, whole: BAD_USER_INPUT and nothing stored', async () => {
    const before = await stored();
    const big = Array.from({ length: 51 }, (_, i) => usage({ resource: `big-${i}` }));
    const tooMany = await stack.request(IngestUsagesDocument, { usages: big });
    expect(tooMany.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(tooMany.errors?.[0]?.message).toContain('at most 50');
    const malformed = await stack.request(IngestUsagesDocument, { usages: [usage({ resource: 'm-1' }), usage({ datetime: '2026-02-30T00:00:00Z' })] });
    expect(malformed.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const empty = await stack.request(IngestUsagesDocument, { usages: [usage({ resource: ' ' })] });
    expect(dataOf(empty).ingestProductUsages.errors.map((e) => e.rule)).toEqual(['required']);
    expect(await stored()).toBe(before);
  });

  it('publishes a ProductUsageCreateEvent for each usage stored now, none for a resend', async () => {
    const subscriber = subscribe(stack.wsUrl, 'subscription { productUsageEvents(filter: { usageType: ["events"] }) { eventType productUsage { id } } }');
    try {
      await subscribersLive(stack, 1);
      const batch = [usage({ unit: 'events', resource: 'e-1' }), usage({ unit: 'events', resource: 'e-2' })];
      const first = dataOf(await stack.request(IngestUsagesDocument, { usages: batch })).ingestProductUsages;
      dataOf(await stack.request(IngestUsagesDocument, { usages: batch }));
      dataOf(await stack.request(IngestUsagesDocument, { usages: [usage({ unit: 'events', resource: 'e-3' })] }));
      const events = await subscriber.received(3);
      expect(events.slice(0, 2).map((e) => [e.productUsageEvents.eventType, e.productUsageEvents.productUsage.id])).toEqual(
        first.usageIds.map((id) => ['ProductUsageCreateEvent', id]),
      );
      expect(events).toHaveLength(3);
    } finally {
      await subscriber.close();
    }
  });
});
