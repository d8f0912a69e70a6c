import { setTimeout as poll } from 'node:timers/promises';
import type { Db, Document } from 'mongodb';
import { cellKey, unpackCells, type MeterCell, type MeterHourSummaryDocument, type SummaryPart } from '../../subgraphs/usage/rollups/meter-summaries.js';

const hourMs = 3_600_000;
/** Sums added in another order differ in their last bits. */
const round = (v: number) => Math.round(v * 1e9) / 1e9;

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
  // Meter rollups: per hour and dimensions, the counted usages (name null) and each numeric
  // characteristic's count, sum, min and max (a usage's first of a name); superseded ones left out.
  type Folded = { count: number; sum: number; min: number | null; max: number | null };
  const meters = new Map<string, Folded>();
  const cells = new Map<string, Folded>();
  const folder = (into: Map<string, Folded>) => (key: string, value: number | null) => {
    const known = into.get(key) ?? { count: 0, sum: 0, min: null, max: null };
    into.set(key, {
      count: known.count + 1,
      sum: value === null ? 0 : round(known.sum + value),
      min: value === null ? null : Math.min(known.min ?? value, value),
      max: value === null ? null : Math.max(known.max ?? value, value),
    });
  };
  const fold = folder(meters);
  const foldCell = folder(cells);
  for (const usage of usages) {
    const date = usage.usageDate as Date | undefined;
    if (!(date instanceof Date) || usage.status === 'superseded') continue;
    const hour = new Date(Math.floor(date.getTime() / hourMs) * hourMs).toISOString();
    const dims = [hour, usage.usageSpecification?.id ?? null, usage.usageType ?? null, usage.status, usage.product?.id ?? null];
    // The summaries' cells: by type and status, by quarter of the hour too, by specification too, and that by quarter.
    const quarter = Math.floor(date.getUTCMinutes() / 15);
    const [spec, type] = [usage.usageSpecification?.id ?? null, usage.usageType ?? null];
    const cellKeys = (name: string | null) => [
      JSON.stringify([hour, name, 'cells', type, usage.status]),
      JSON.stringify([hour, name, 'quarters', quarter, type, usage.status]),
      JSON.stringify([hour, name, 'specCells', spec, type, usage.status]),
      JSON.stringify([hour, name, 'specQuarters', quarter, spec, type, usage.status]),
    ];
    const foldAll = (name: string | null, value: number | null) => {
      fold(JSON.stringify([...dims, name]), value);
      for (const key of cellKeys(name)) foldCell(key, value);
    };
    foldAll(null, null);
    const seen = new Set<string>();
    for (const c of (usage.usageCharacteristic ?? []) as { name: string; value: unknown }[]) {
      if (seen.has(c.name)) continue;
      seen.add(c.name);
      if (typeof c.value === 'number') foldAll(c.name, c.value);
    }
  }
  const storedSummaries = await db.collection('meterHourSummaries').find({ tenant }).toArray();
  const storedCells = storedSummaries.flatMap((summary) => {
    const hour = (summary.hour as Date).toISOString();
    const part = summary.part as string;
    const key = (cell: MeterCell) => JSON.stringify([hour, summary.name, part, ...cellKey(part as SummaryPart, cell)]);
    return unpackCells(part as SummaryPart, summary as unknown as MeterHourSummaryDocument).map((cell): [string, Folded] => [
      key(cell),
      { count: cell.count, sum: round(cell.sum), min: cell.min, max: cell.max },
    ]);
  });
  const storedMeters = await db.collection('meterHourRollups').find({ tenant }).toArray();
  const storedHours = await db.collection('usageHourRollups').find({ tenant }).toArray();
  const storedDays = await db.collection('kpiDayRollups').find({ tenant }).toArray();
  const sorted = <T>(entries: [string, T][]) => entries.sort(([a], [b]) => a.localeCompare(b));
  return {
    stored: {
      hours: sorted(storedHours.map((row) => [row.hour instanceof Date ? row.hour.toISOString() : 'none', row.count as number])),
      meters: sorted(
        storedMeters.map((row) => [
          JSON.stringify([(row.hour as Date).toISOString(), row.spec, row.type, row.status, row.product, row.name]),
          { count: row.count as number, sum: round(row.sum as number), min: row.min as number | null, max: row.max as number | null },
        ]),
      ),
      cells: sorted(storedCells),
      days: sorted(
        storedDays.map((row) => [
          [row.application, row.unit, row.day, row.consumer, row.provider].join('|'),
          { count: row.count as number, sum: row.sum as number, min: row.min as number, max: row.max as number, last: row.last as number },
        ]),
      ),
    },
    recount: { hours: sorted([...hours]), days: sorted([...days]), meters: sorted([...meters]), cells: sorted([...cells]) },
  };
}
