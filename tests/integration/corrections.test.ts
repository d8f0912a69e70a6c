import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CorrectionMeterDocument,
  CorrectUsageDocument,
  CreateKpiDocument,
  CreateUsageDocument,
  DailyAggregatesDocument,
  IngestUsagesDocument,
  MonthlyAggregatesDocument,
  RevertCorrectionDocument,
  UpdateUsageDocument,
  UsageDocument,
  UsageHistoryDocument,
  type ProductUsageInput,
} from '../operations/generated.js';
import { createUsage } from '../support/fixtures.js';
import { rollupsAndRecount, rollupsSettled } from '../support/rollups.js';
import { dataOf, startStack, type GraphQLResult, type Stack } from '../support/stack.js';
import { subscribe, subscribersLive, type Subscriber } from '../support/subscriber.js';
import { waitUntil } from '../support/wait.js';

/**
 * Corrections with history (docs/graphql.md, "Corrections"): through GraphQL and REST, against the
 * real database and gateway, with the events a subscriber receives, the KPI values and a meter
 * counting each measurement once, and the rollups equal to a recount.
 */
let stack: Stack;
let subscriber: Subscriber;
const v5 = '/tmf-api/productUsageManagement/v5';

beforeAll(async () => {
  stack = await startStack('corrections');
  subscriber = subscribe(stack.wsUrl, 'subscription { productUsageEvents { eventType productUsage { id status } } }');
  await subscribersLive(stack, 1);
});
afterAll(async () => {
  await subscriber?.close();
  await stack?.close();
});

/** A usage in status rated, of a party of its own (so that a test finds its own events). */
async function ratedUsage(extra: Partial<ProductUsageInput> = {}) {
  return createUsage(stack, {
    usageType: 'voice',
    status: 'rated',
    description: 'call',
    usageDate: '2026-11-20T10:15:00Z',
    usageCharacteristic: [{ name: 'duration', valueType: 'integer', value: 100 }],
    relatedParty: [{ role: 'customer', partyOrPartyRole: { id: `party-${randomUUID()}` } }],
    ...extra,
  });
}

const correct = async (id: string, value: number, reason = 'meter misread') =>
  dataOf(await stack.request(CorrectUsageDocument, { id, reason, input: { usageCharacteristic: [{ name: 'duration', valueType: 'integer', value }] } }))
    .correctProductUsage;
const revert = async (id: string, reason = 'correction was wrong') =>
  dataOf(await stack.request(RevertCorrectionDocument, { id, reason })).revertProductUsageCorrection;
const history = async (id: string) => dataOf(await stack.request(UsageHistoryDocument, { id })).productUsage!;
const errorOf = (result: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) => ({
  code: result.errors?.[0]?.extensions?.code,
  message: result.errors?.[0]?.message,
});

/** The events of these usages the subscriber has received, once `count` of them have. */
async function eventsOf(ids: readonly string[], count: number) {
  const mine = () => subscriber.events.map((e) => e.productUsageEvents).filter((e) => ids.includes(e.productUsage.id));
  await waitUntil(`${count} events of ${ids.join(', ')}`, mine, (events) => events.length >= count);
  return mine().map((e) => [e.eventType, e.productUsage.id, e.productUsage.status]);
}

describe('correctProductUsage', () => {
  it('supersedes the usage with a new one in status corrected that names it, and keeps the history', async () => {
    const usage = await ratedUsage();
    const correction = await correct(usage.id, 120);
    expect(correction).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'corrected',
      usageDate: '2026-11-20T10:15:00.000Z',
      description: 'call',
      usageCharacteristic: [{ name: 'duration', valueType: 'integer', value: 120 }],
      correction: {
        corrects: { id: usage.id, status: 'superseded' },
        original: { id: usage.id },
        reason: 'meter misread',
        correctedBy: 'test-user',
        revertedAt: null,
        revertReason: null,
        revertedBy: null,
      },
      supersededBy: null,
    });
    const original = await history(usage.id);
    expect(original).toMatchObject({
      status: 'superseded',
      usageCharacteristic: [{ name: 'duration', valueType: 'integer', value: 100 }],
      correction: null,
      supersededBy: { id: correction.id, status: 'corrected' },
    });
    const chain = [
      { id: usage.id, status: 'superseded', correction: null },
      { id: correction.id, status: 'corrected', correction: { reason: 'meter misread', revertedAt: null } },
    ];
    expect(original.history).toEqual(chain);
    expect((await history(correction.id)).history).toEqual(chain);
    // The usage first, as it is announced: created; then superseded; then the correction created.
    expect(await eventsOf([usage.id, correction.id], 3)).toEqual([
      ['ProductUsageCreateEvent', usage.id, 'rated'],
      ['ProductUsageStateChangeEvent', usage.id, 'superseded'],
      ['ProductUsageCreateEvent', correction.id, 'corrected'],
    ]);
  });

  it('corrects a correction (a chain), and reverts the latest first, restoring each previous status', async () => {
    const usage = await ratedUsage();
    const first = await correct(usage.id, 110, 'first');
    const second = await correct(first.id, 120, 'second');
    expect(second.correction).toMatchObject({ corrects: { id: first.id, status: 'superseded' }, original: { id: usage.id }, reason: 'second' });
    expect((await history(usage.id)).history.map((u) => [u.id, u.status])).toEqual([
      [usage.id, 'superseded'],
      [first.id, 'superseded'],
      [second.id, 'corrected'],
    ]);

    const notLatest = await stack.request(RevertCorrectionDocument, { id: first.id, reason: 'too early' });
    expect(errorOf(notLatest)).toEqual({
      code: 'CONFLICT',
      message: `The correction "${first.id}" has been corrected since by "${second.id}"; only the latest correction can be reverted.`,
    });

    const back = await revert(second.id, 'second was wrong');
    expect(back).toMatchObject({ id: first.id, status: 'corrected', supersededBy: null, usageCharacteristic: [{ value: 110 }] });
    const reverted = await history(second.id);
    expect(reverted.status).toBe('superseded');
    expect(reverted.correction).toMatchObject({ revertReason: 'second was wrong', revertedBy: 'test-user', revertedAt: expect.any(String) });

    const restored = await revert(first.id);
    expect(restored).toMatchObject({ id: usage.id, status: 'rated', supersededBy: null, usageCharacteristic: [{ value: 100 }] });
    expect((await history(usage.id)).history.map((u) => [u.id, u.status, Boolean(u.correction?.revertedAt)])).toEqual([
      [usage.id, 'rated', false],
      [first.id, 'superseded', true],
      [second.id, 'superseded', true],
    ]);
    expect(await eventsOf([usage.id, first.id, second.id], 9)).toEqual([
      ['ProductUsageCreateEvent', usage.id, 'rated'],
      ['ProductUsageStateChangeEvent', usage.id, 'superseded'],
      ['ProductUsageCreateEvent', first.id, 'corrected'],
      ['ProductUsageStateChangeEvent', first.id, 'superseded'],
      ['ProductUsageCreateEvent', second.id, 'corrected'],
      ['ProductUsageStateChangeEvent', second.id, 'superseded'],
      ['ProductUsageStateChangeEvent', first.id, 'corrected'],
      ['ProductUsageStateChangeEvent', first.id, 'superseded'],
      ['ProductUsageStateChangeEvent', usage.id, 'rated'],
    ]);

    // Back in effect, the usage can be corrected again; a reverted correction cannot be reverted twice.
    expect((await correct(usage.id, 130)).correction?.corrects).toEqual({ id: usage.id, status: 'superseded' });
    expect(errorOf(await stack.request(RevertCorrectionDocument, { id: second.id, reason: 'again' }))).toEqual({
      code: 'CONFLICT',
      message: `The correction "${second.id}" was reverted already.`,
    });
  });

  it('refuses what would count a measurement twice or make no correction', async () => {
    const usage = await ratedUsage();
    const correction = await correct(usage.id, 101);
    const input = { usageCharacteristic: [{ name: 'duration', value: 1 }] };
    expect(errorOf(await stack.request(CorrectUsageDocument, { id: usage.id, input, reason: 'again' }))).toEqual({
      code: 'CONFLICT',
      message: `Usage "${usage.id}" is superseded by the correction "${correction.id}"; correct that one instead.`,
    });
    expect(errorOf(await stack.request(RevertCorrectionDocument, { id: usage.id, reason: 'not one' }))).toEqual({
      code: 'CONFLICT',
      message: `Usage "${usage.id}" is not a correction; only a correction can be reverted.`,
    });
    expect(errorOf(await stack.request(UpdateUsageDocument, { id: usage.id, patch: { status: 'rated' } }))).toEqual({
      code: 'CONFLICT',
      message: `Usage "${usage.id}" is superseded within a chain of corrections; its status follows the chain (revertProductUsageCorrection).`,
    });
    expect(errorOf(await stack.request(CorrectUsageDocument, { id: 'no-such-usage', input, reason: 'x' }))).toEqual({
      code: 'NOT_FOUND',
      message: 'No ProductUsage with id "no-such-usage".',
    });
    expect(errorOf(await stack.request(RevertCorrectionDocument, { id: 'no-such-usage', reason: 'x' }))).toEqual({
      code: 'NOT_FOUND',
      message: 'No ProductUsage with id "no-such-usage".',
    });
    expect(errorOf(await stack.request(CorrectUsageDocument, { id: correction.id, input: {}, reason: 'nothing' }))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'A correction changes at least one of usageDate, description, usageCharacteristic, usageProductPrice, ratedProductUsage.',
    });
    expect(errorOf(await stack.request(CorrectUsageDocument, { id: correction.id, input, reason: '  ' }))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'reason must be 1 to 1000 characters.',
    });
    // Nothing of the refused attempts was stored: the chain is the usage and its one correction.
    expect(await stack.db.collection('productUsages').countDocuments({ 'correction.original': usage.id })).toBe(1);
  });

  it('is another tenant\u2019s business: not found, and the chain stays hidden', async () => {
    const usage = await ratedUsage();
    const correction = await correct(usage.id, 150);
    const other = { authorization: `Bearer ${await stack.mintToken({ tenant: 'other-tenant' })}` };
    const input = { description: 'taken over' };
    expect(errorOf(await stack.request(CorrectUsageDocument, { id: correction.id, input, reason: 'x' }, other)).code).toBe('NOT_FOUND');
    expect(errorOf(await stack.request(RevertCorrectionDocument, { id: correction.id, reason: 'x' }, other)).code).toBe('NOT_FOUND');
    expect(dataOf(await stack.request(UsageDocument, { id: usage.id }, other)).productUsage).toBeNull();
    expect((await stack.rest('POST', `${v5}/productUsage/${correction.id}/revert`, { reason: 'x' }, other)).status).toBe(404);
    expect((await history(correction.id)).status).toBe('corrected');
  });
});

describe('a correction or revert stopped half-way (the writes of corrections/writer.ts)', () => {
  it('counts the measurement at most once meanwhile, and is finished by the next write of its chain', async () => {
    // A tenant of its own: these documents are changed with the driver, around the API and its rollup marks.
    const headers = { authorization: `Bearer ${await stack.mintToken({ tenant: 'crash-tenant' })}` };
    const run = async <T>(result: Promise<GraphQLResult<T>>) => dataOf(await result);
    const usageDate = '2026-11-21T09:00:00Z';
    const { createProductUsage: usage } = await run(
      stack.request(
        CreateUsageDocument,
        { input: { usageType: 'crash-voice', status: 'rated', usageDate, usageCharacteristic: [{ name: 'duration', valueType: 'integer', value: 100 }] } },
        headers,
      ),
    );
    const input = (value: number) => ({ usageCharacteristic: [{ name: 'duration', valueType: 'integer', value }] });
    const correctHere = async (id: string, value: number) =>
      (await run(stack.request(CorrectUsageDocument, { id, reason: 'crash', input: input(value) }, headers))).correctProductUsage;
    const sum = async () =>
      (
        await run(
          stack.request(
            CorrectionMeterDocument,
            {
              input: {
                aggregation: 'SUM',
                value: 'duration',
                from: '2026-11-21T00:00:00Z',
                to: '2026-11-22T00:00:00Z',
                filter: { usageType: ['crash-voice'] },
              },
            },
            headers,
          ),
        )
      ).usageMeter.rows.map((row) => row.value);
    const usages = stack.db.collection<{ _id: string } & Record<string, unknown>>('productUsages');
    const statusOf = async (id: string) => (await usages.findOne({ _id: id }))?.status;

    const correction = await correctHere(usage.id, 120);
    // Stopped before step 3: the usage names a correction still pending; and another attempt stopped
    // before its commit left a pending correction nobody names.
    await usages.updateOne({ _id: correction.id }, { $set: { status: 'superseded', correctionPending: true } });
    const leftover = { ...(await usages.findOne({ _id: correction.id }))!, _id: randomUUID() };
    await usages.insertOne(leftover);
    expect(await sum()).toEqual([]);
    expect((await run(stack.request(UsageHistoryDocument, { id: usage.id }, headers))).productUsage!.history.map((u) => u.id)).toEqual([usage.id]);

    // The retry of the correction finishes the one that committed, and refuses a second.
    const retry = await stack.request(CorrectUsageDocument, { id: usage.id, reason: 'crash', input: input(120) }, headers);
    expect(errorOf(retry)).toEqual({
      code: 'CONFLICT',
      message: `Usage "${usage.id}" is superseded by the correction "${correction.id}"; correct that one instead.`,
    });
    expect(await statusOf(correction.id)).toBe('corrected');
    expect(await sum()).toEqual([120]);

    // Stopped between the two writes of a revert: the correction reverted, the usage not yet given back.
    await usages.updateOne({ _id: correction.id }, { $set: { status: 'superseded', 'correction.revertedAt': new Date() } });
    expect(await sum()).toEqual([]);
    const restored = (await run(stack.request(RevertCorrectionDocument, { id: correction.id, reason: 'retry' }, headers))).revertProductUsageCorrection;
    expect(restored).toMatchObject({ id: usage.id, status: 'rated', supersededBy: null });
    expect(await sum()).toEqual([100]);

    // The next correction that commits on the usage removes the attempt that never did.
    expect(await usages.countDocuments({ _id: leftover._id })).toBe(1);
    await correctHere(usage.id, 130);
    expect(await usages.countDocuments({ _id: leftover._id })).toBe(0);
    expect(await sum()).toEqual([130]);
  });
});

describe('REST corrections (v5)', () => {
  it('answers 201 with the correction, 200 on revert, and TMF errors', async () => {
    const usage = await ratedUsage();
    const href = (id: string) => `${stack.config.publicUrl}${v5}/productUsage/${id}`;
    const body = {
      '@type': 'ProductUsageCorrection',
      reason: 'rerated',
      description: 'corrected call',
      usageCharacteristic: [{ '@type': 'IntegerCharacteristic', name: 'duration', valueType: 'integer', value: 130 }],
    };
    const created = await stack.rest('POST', `${v5}/productUsage/${usage.id}/correction`, body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(href(id));
    expect(created.body).toEqual({
      id,
      href: href(id),
      '@type': 'ProductUsage',
      creationDate: expect.any(String),
      lastUpdate: created.body.creationDate,
      status: 'corrected',
      usageType: 'voice',
      description: 'corrected call',
      usageCharacteristic: [{ '@type': 'IntegerCharacteristic', name: 'duration', valueType: 'integer', value: 130 }],
      relatedParty: [
        {
          '@type': 'RelatedPartyRefOrPartyRoleRef',
          role: 'customer',
          partyOrPartyRole: { '@type': 'PartyRef', id: expect.stringMatching(/^party-/) },
        },
      ],
    });
    expect((await stack.rest('GET', `${v5}/productUsage/${usage.id}`)).body.status).toBe('superseded');

    const again = await stack.rest('POST', `${v5}/productUsage/${usage.id}/correction`, body);
    expect(again).toMatchObject({
      status: 409,
      body: {
        '@type': 'Error',
        code: '409',
        reason: 'Conflict',
        status: '409',
        message: `Usage "${usage.id}" is superseded by the correction "${id}"; correct that one instead.`,
      },
    });
    const missing = await stack.rest('POST', `${v5}/productUsage/no-such-usage/correction`, body);
    expect(missing).toMatchObject({
      status: 404,
      body: { '@type': 'Error', code: '404', reason: 'Not Found', message: 'No ProductUsage with id "no-such-usage".' },
    });
    const { reason: _reason, ...withoutReason } = body;
    expect(await stack.rest('POST', `${v5}/productUsage/${id}/correction`, withoutReason)).toMatchObject({
      status: 400,
      body: { '@type': 'Error', code: '400', message: '"reason" is required: a string saying why the usage is corrected.' },
    });
    const v4Field = await stack.rest('POST', `${v5}/productUsage/${id}/correction`, { ...body, usageDate: '2026-11-20T10:00:00Z' });
    expect(v4Field.status).toBe(400);
    expect(v4Field.body.message).toMatch(/^Attribute "usageDate" is not supported by this API/);
    const untyped = await stack.rest('POST', `${v5}/productUsage/${id}/correction`, { reason: 'x', usageCharacteristic: [{ name: 'duration', value: 1 }] });
    expect(untyped.status).toBe(400);
    expect(untyped.body.message).toMatch(/^The body does not match ProductUsage_MVO/);
    expect((await stack.rest('PUT', `${v5}/productUsage/${id}/correction`, body)).status).toBe(405);

    const restored = await stack.rest('POST', `${v5}/productUsage/${id}/revert`, { reason: 'rating error' });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body).toMatchObject({ id: usage.id, href: href(usage.id), status: 'rated', description: 'call' });
    expect((await stack.rest('GET', `${v5}/productUsage/${id}`)).body.status).toBe('superseded');
    expect(await stack.rest('POST', `${v5}/productUsage/${id}/revert`, { reason: 'again' })).toMatchObject({
      status: 409,
      body: { '@type': 'Error', code: '409', message: `The correction "${id}" was reverted already.` },
    });
    expect(await stack.rest('POST', `${v5}/productUsage/${usage.id}/revert`, {})).toMatchObject({ status: 400 });
  });
});

describe('counting each measurement once', () => {
  // Yesterday (UTC), inside the ingestion's late window and wholly in the past.
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const at = (hour: number) => `${day}T${String(hour).padStart(2, '0')}:00:00Z`;
  const application = 'corr-app';
  const unit = 'corr-kwh';

  const daily = async () =>
    dataOf(
      await stack.request(DailyAggregatesDocument, { application, kpiName: 'energy', from: day, to: day, consumer: 'corr-c1' }),
    ).dailyUsageAggregates.items.map((item) => [item.value, item.usagesCount]);
  const monthly = async () =>
    dataOf(
      await stack.request(MonthlyAggregatesDocument, { application, kpiName: 'energy', month: day.slice(0, 7), consumer: 'corr-c1' }),
    ).monthlyUsageAggregates.items.map((item) => [item.value, item.usagesCount]);
  const meter = async () =>
    dataOf(
      await stack.request(CorrectionMeterDocument, {
        input: { aggregation: 'SUM', value: 'value', from: `${day}T00:00:00Z`, to: at(23), filter: { usageType: [unit] } },
      }),
    ).usageMeter.rows.map((row) => row.value);

  /** The rollups as stored, and as recounted in tests/support/rollups.ts (KPI days leave superseded usages out). */
  async function rollupsMatchRecount() {
    await rollupsSettled(stack.db);
    const { stored, recount } = await rollupsAndRecount(stack.db, 'test-tenant');
    expect(stored).toEqual(recount);
  }

  it('gives KPI values and a SUM meter with the correction instead of the original, and back after a revert', async () => {
    dataOf(await stack.request(CreateKpiDocument, { input: { application, name: 'energy', unit } }));
    const sent = [10, 20, 30].map((value, n) => ({ tenantId: 'corr-c1', application, resource: `meter-${n}`, unit, value, datetime: at(8 + n) }));
    const ingested = dataOf(await stack.request(IngestUsagesDocument, { usages: sent })).ingestProductUsages;
    expect(ingested.storedCount).toBe(3);
    expect(await daily()).toEqual([[60, 3]]);
    expect(await meter()).toEqual([60]);

    const second = dataOf(await stack.request(UsageDocument, { id: ingested.usageIds[1]! })).productUsage!;
    const characteristics = second.usageCharacteristic.map(({ name, valueType, value }) => ({ name, valueType, value: name === 'value' ? 25 : value }));
    const correction = dataOf(
      await stack.request(CorrectUsageDocument, { id: second.id, reason: 'meter replaced', input: { usageCharacteristic: characteristics } }),
    ).correctProductUsage;
    // Right after the write, while the buckets are marked (computed from the usages), then from the rollups.
    expect(await daily()).toEqual([[65, 3]]);
    expect(await monthly()).toEqual([[65, 3]]);
    expect(await meter()).toEqual([65]);
    await rollupsMatchRecount();
    expect(await daily()).toEqual([[65, 3]]);
    expect(await monthly()).toEqual([[65, 3]]);

    // A correction of an ingested usage keeps it a number on a day.
    const text = characteristics.map((c) => (c.name === 'value' ? { ...c, value: 'lots' } : c));
    expect(errorOf(await stack.request(CorrectUsageDocument, { id: correction.id, reason: 'x', input: { usageCharacteristic: text } })).code).toBe(
      'BAD_USER_INPUT',
    );
    expect(errorOf(await stack.request(CorrectUsageDocument, { id: correction.id, reason: 'x', input: { usageDate: null } })).code).toBe('BAD_USER_INPUT');

    // A later usageDate moves the corrected measurement to its new hour, counted once still.
    const moved = dataOf(await stack.request(CorrectUsageDocument, { id: correction.id, reason: 'clock', input: { usageDate: at(20) } })).correctProductUsage;
    expect(await daily()).toEqual([[65, 3]]);
    expect(await meter()).toEqual([65]);
    await rollupsMatchRecount();

    await revert(moved.id);
    await revert(correction.id);
    expect(await daily()).toEqual([[60, 3]]);
    expect(await monthly()).toEqual([[60, 3]]);
    expect(await meter()).toEqual([60]);
    await rollupsMatchRecount();
    expect(await daily()).toEqual([[60, 3]]);
    expect(await meter()).toEqual([60]);
  });
});
