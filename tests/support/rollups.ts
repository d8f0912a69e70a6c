import { setTimeout as poll } from 'node:timers/promises';
import type { Db, Document } from 'mongodb';

const hourMs = 3_600_000;

/** Waits until no rollup bucket is marked (every rollup recomputed by a usage subgraph's maintainer). */
export async function rollupsSettled(db: Db, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const marks = await db.collection('rollupMarks').countDocuments({});
    if (!marks) return;
    if (Date.now() > until) throw new Error(`rollups did not settle within ${deadlineMs} ms: ${marks} bucket(s) still marked`);
    await poll(50);
  }
}

/**
 * The tenant's rollups as stored, and as computed here from its stored usages without the
 * project's code (hours by arithmetic on usageDate, KPI days by folding in JavaScript), in the same
 * shape, for a test to compare.
 */
export async function rollupsAndRecount(db: Db, tenant: string) {
  const usages = await db
    .collection('productUsages')
    .find({ tenant, deletedAt: { $exists: false } })
    .sort({ usageDate: 1, _id: 1 })
    .toArray();
  const hours = new Map<string, number>();
  const days = new Map<string, { count: number; sum: number; min: number; max: number; last: number }>();
  for (const usage of usages) {
    const date = usage.usageDate as Date | undefined;
    const hour = date instanceof Date ? new Date(Math.floor(date.getTime() / hourMs) * hourMs).toISOString() : 'none';
    hours.set(hour, (hours.get(hour) ?? 0) + 1);
    const ingest = usage.ingest as Document | undefined;
    // KPI values count each measurement once: a superseded version (a corrected usage) not at all.
    if (!ingest || usage.status === 'superseded') continue;
    const key = [ingest.application, ingest.unit, ingest.day, ingest.tenant, ingest.provider].join('|');
    const value = ingest.value as number;
    const day = days.get(key);
    days.set(
      key,
      day
        ? { count: day.count + 1, sum: day.sum + value, min: Math.min(day.min, value), max: Math.max(day.max, value), last: value }
        : { count: 1, sum: value, min: value, max: value, last: value },
    );
  }
  const storedHours = await db.collection('usageHourRollups').find({ tenant }).toArray();
  const storedDays = await db.collection('kpiDayRollups').find({ tenant }).toArray();
  const sorted = <T>(entries: [string, T][]) => entries.sort(([a], [b]) => a.localeCompare(b));
  return {
    stored: {
      hours: sorted(storedHours.map((row) => [row.hour instanceof Date ? row.hour.toISOString() : 'none', row.count as number])),
      days: sorted(
        storedDays.map((row) => [
          [row.application, row.unit, row.day, row.consumer, row.provider].join('|'),
          { count: row.count as number, sum: row.sum as number, min: row.min as number, max: row.max as number, last: row.last as number },
        ]),
      ),
    },
    recount: { hours: sorted([...hours]), days: sorted([...days]) },
  };
}
