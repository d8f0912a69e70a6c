import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { defaultRollupTiming } from '../../subgraphs/usage/rollups/maintainer.js';
import { bucketId } from '../../subgraphs/usage/rollups/buckets.js';
import { openRollups } from '../../subgraphs/usage/rollups/repair.js';
import { CreateUsageDocument, DeleteUsageDocument, MeterRowsDocument, UpdateUsageDocument, UsagesDocument } from '../operations/generated.js';
import { unpackCells, type SummaryPart } from '../../subgraphs/usage/rollups/meter-summaries.js';
import { createUsage } from '../support/fixtures.js';
import { rollupsAndRecount, rollupsSettled } from '../support/rollups.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';

/**
 * The rollups behind unfiltered counts (`totalCount`, `X-Total-Count`) and KPI aggregates
 * (subgraphs/usage/rollups): a count is exact right after each write, not once the rollups catch
 * up; once they have, they equal a recount of the stored usages; the repair pass finds usages
 * written around the API.
 */
let stack: Stack;
const tenant = 'test-tenant';

beforeAll(async () => {
  stack = await startStack('rollups');
});
afterAll(async () => {
  await stack?.close();
});

const totalCount = async () => dataOf(await stack.request(UsagesDocument, { limit: 1 })).productUsages.totalCount;
const storedCount = () => stack.db.collection('productUsages').countDocuments({ tenant, deletedAt: { $exists: false } });
/** The tenant's usages counted by day in Kolkata (whose days cut an hour at :30) from August to November 2026. */
const kolkataDays = async (groupBy: { dimension: 'STATUS' | 'USAGE_SPECIFICATION' }[]) =>
  dataOf(
    await stack.request(MeterRowsDocument, {
      input: { aggregation: 'COUNT', from: '2026-08-01T00:00:00Z', to: '2026-12-01T00:00:00Z', windowSize: 'DAY', timeZone: 'Asia/Kolkata', groupBy },
    }),
  ).usageMeter.rows;
const restTotal = async () => Number((await stack.rest('GET', '/tmf-api/productUsageManagement/v5/productUsage?limit=1')).headers.get('x-total-count'));

describe('the unfiltered count', () => {
  it('is exact after every create, move to another hour and delete, and the rollups then equal a recount', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const usage = await createUsage(stack, {
        usageType: 'data',
        // Some hours hold several usages, one usage has no usageDate at all.
        ...(i === 11 ? {} : { usageDate: new Date(Date.UTC(2026, 10, 3, i % 4, i * 5)).toISOString() }),
      });
      ids.push(usage.id);
      expect(await totalCount()).toBe(await storedCount());
    }
    expect(await totalCount()).toBe(12);
    await rollupsSettled(stack.db);
    expect(await totalCount()).toBe(12);

    // A patch that moves a usage to a day of its own, one that changes nothing of its hour, a delete.
    dataOf(await stack.request(UpdateUsageDocument, { id: ids[0]!, patch: { usageDate: '2026-11-09T22:30:00Z' } }));
    dataOf(await stack.request(UpdateUsageDocument, { id: ids[1]!, patch: { description: 'same hour' } }));
    dataOf(await stack.request(DeleteUsageDocument, { id: ids[2]! }));
    expect(await totalCount()).toBe(11);
    expect(await restTotal()).toBe(11);
    await rollupsSettled(stack.db);
    expect(await totalCount()).toBe(11);
    expect(await restTotal()).toBe(11);

    const { stored, recount } = await rollupsAndRecount(stack.db, tenant);
    expect(recount.hours).toContainEqual(['2026-11-09T22:00:00.000Z', 1]);
    expect(recount.hours).toContainEqual(['none', 1]);
    expect(stored).toEqual(recount);
  });

  it('counts usages written around the API once the repair pass has marked their hours', async () => {
    await rollupsSettled(stack.db);
    const before = await totalCount();
    // A bulk load with the driver, as an operator migrating data would: no mark, no rollup.
    const at = Date.UTC(2026, 7, 1);
    await stack.db.collection('productUsages').insertMany(
      Array.from({ length: 30 }, (_, i) => ({
        _id: `bulk-${i}`,
        tenant,
        type: 'ProductUsage',
        status: 'received',
        usageDate: new Date(at + i * 1_800_000),
        creationDate: new Date(),
        lastUpdate: new Date(),
        relatedParty: [],
      })) as never,
    );
    expect(await storedCount()).toBe(before + 30);
    // The count is the rollups', which do not know them yet.
    expect(await totalCount()).toBe(before);

    // The repair pass, as `npm run rollups:repair` or the usage subgraph's timer runs it.
    const db = stack.db;
    const { repair } = await openRollups(db, defaultRollupTiming, createLogger('warn'));
    expect(await repair.pass()).toBe(15);
    // Exact at once (the marked hours are counted from the usages), and after the subgraph's maintainer recomputed them.
    expect(await totalCount()).toBe(before + 30);
    await rollupsSettled(stack.db);
    expect(await totalCount()).toBe(before + 30);
    expect(await repair.pass()).toBe(0);
    const { stored, recount } = await rollupsAndRecount(stack.db, tenant);
    expect(stored).toEqual(recount);
  });

  it('rewrites meter summaries stored before their cells were packed, and reads them meanwhile', async () => {
    await rollupsSettled(stack.db);
    const summaries = stack.db.collection('meterHourSummaries');
    const { stored: before } = await rollupsAndRecount(stack.db, tenant);
    // The summaries as an earlier release stored them: the cells as documents, no packed field.
    const packed = await summaries.find({ tenant }).toArray();
    expect(packed.length).toBeGreaterThan(0);
    for (const summary of packed) {
      const cells = unpackCells(summary.part as SummaryPart, summary as never);
      await summaries.replaceOne({ _id: summary._id }, { tenant, hour: summary.hour, name: summary.name, part: summary.part, cells });
    }
    const rows = () => kolkataDays([{ dimension: 'STATUS' }]);
    const expected = await rows();
    expect(expected.length).toBeGreaterThan(0);

    const db = stack.db;
    const { repair } = await openRollups(db, defaultRollupTiming, createLogger('warn'));
    const hoursStored = new Set(packed.map((summary) => (summary.hour as Date).getTime())).size;
    expect(await repair.pass()).toBe(hoursStored);
    await rollupsSettled(stack.db);
    expect(await summaries.countDocuments({ tenant, packed: { $exists: false } })).toBe(0);
    expect(await repair.pass()).toBe(0);
    expect(await rows()).toEqual(expected);
    const { stored, recount } = await rollupsAndRecount(stack.db, tenant);
    expect(stored).toEqual(before);
    expect(stored).toEqual(recount);
  });

  it('answers a meter by specification from the usages for hours stored before their summaries by quarter, until the repair pass adds them', async () => {
    // 18:30 UTC is midnight in Kolkata: these two usages fall on two days there.
    for (const usageDate of ['2026-11-04T18:10:00Z', '2026-11-04T18:45:00Z']) await createUsage(stack, { usageType: 'data', usageDate });
    await rollupsSettled(stack.db);
    const summaries = stack.db.collection('meterHourSummaries');
    const { stored: before } = await rollupsAndRecount(stack.db, tenant);
    // Kolkata's days cut an hour at :30: its halves come from the summaries by specification and quarter.
    const rows = () => kolkataDays([{ dimension: 'USAGE_SPECIFICATION' }, { dimension: 'STATUS' }]);
    const expected = await rows();
    expect(expected.length).toBeGreaterThan(0);
    // The hours as an earlier release stored them: no `specQuarters`.
    const hoursStored = (await summaries.distinct('hour', { tenant, part: 'specQuarters', name: null })).length;
    expect(hoursStored).toBeGreaterThan(0);
    await summaries.deleteMany({ tenant, part: 'specQuarters' });
    let usageReads = 0;
    const watch = (event: CommandStartedEvent) => {
      if (event.commandName === 'aggregate' && event.command.aggregate === 'productUsages') usageReads += 1;
    };
    stack.db.client.on('commandStarted', watch);
    try {
      expect(await rows()).toEqual(expected);
    } finally {
      stack.db.client.off('commandStarted', watch);
    }
    expect(usageReads, 'the cut hours were read from the usages').toBeGreaterThan(0);

    const { repair } = await openRollups(stack.db, defaultRollupTiming, createLogger('warn'));
    expect(await repair.pass()).toBe(hoursStored);
    await rollupsSettled(stack.db);
    expect(await repair.pass()).toBe(0);
    expect(await rows()).toEqual(expected);
    const { stored, recount } = await rollupsAndRecount(stack.db, tenant);
    expect(stored).toEqual(before);
    expect(stored).toEqual(recount);
  });

  it('takes marks of the same buckets from concurrent writers in any order', async () => {
    // Writers in flight mark the same hours; their upserts once deadlocked in PostgreSQL when two
    // listed the buckets in opposite orders, failing a write's first mark.
    const { marks } = await openRollups(stack.db, defaultRollupTiming, createLogger('warn'));
    const hours = Array.from({ length: 40 }, (_, i) => ({ kind: 'hour' as const, hour: new Date(Date.UTC(2026, 9, 1, i)) }));
    const ofOrder = (list: typeof hours) => new Map(list.map((bucket) => [bucketId('marks-tenant', bucket), bucket]));
    const rounds = Array.from({ length: 30 }, (_, i) => marks.mark('marks-tenant', ofOrder(i % 2 ? [...hours].reverse() : hours), new Date()));
    await expect(Promise.all(rounds)).resolves.toHaveLength(30);
    const stored = await stack.db.collection('rollupMarks').find({ tenant: 'marks-tenant' }).toArray();
    expect(stored.map((mark) => mark.seq)).toEqual(hours.map(() => 30));
    await stack.db.collection('rollupMarks').deleteMany({ tenant: 'marks-tenant' });
  });

  it('is the tenant’s own', async () => {
    const other = await stack.mintToken({ tenant: 'rollup-other' });
    const headers = { authorization: `Bearer ${other}` };
    expect(dataOf(await stack.request(UsagesDocument, { limit: 1 }, headers)).productUsages.totalCount).toBe(0);
    dataOf(await stack.request(CreateUsageDocument, { input: { usageType: 'data', usageDate: '2026-11-03T01:00:00Z' } }, headers));
    expect(dataOf(await stack.request(UsagesDocument, { limit: 1 }, headers)).productUsages.totalCount).toBe(1);
    await rollupsSettled(stack.db);
    expect(dataOf(await stack.request(UsagesDocument, { limit: 1 }, headers)).productUsages.totalCount).toBe(1);
    expect(await totalCount()).toBe(await storedCount());
  });
});
