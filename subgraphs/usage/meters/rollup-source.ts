import type { Filter } from 'mongodb';
import type { ProductUsageDocument } from '../product-usage/documents.js';
import type { ProductUsageRepository } from '../product-usage/repository.js';
import { hourMs } from '../rollups/buckets.js';
import type { MarkRepository } from '../rollups/marks.js';
import type { MeterHourRollupDocument, MeterHourRollupRepository } from '../rollups/meter-repository.js';
import { addFold, type MeterCell, type MeterFold } from '../rollups/meter-summaries.js';
import { meterMatch, meterPartialStages, windowIndex, type MeterPartialRow } from './pipeline.js';
import type { MeterQuery } from './query.js';
import type { MeterRow, MeterSource } from './source.js';

/** Marked hours a meter takes from the usages before it reads only usages (a bulk write under way). */
const maxMarked = 200;

/** The rollup field of each dimension a rollup keeps (rollups/meter-repository.ts). */
const rollupField = { USAGE_SPECIFICATION: 'spec', USAGE_TYPE: 'type', STATUS: 'status', PRODUCT: 'product' } as const;
type RollupDimension = keyof typeof rollupField;
const isRollupDimension = (dimension: string): dimension is RollupDimension => dimension in rollupField;

/** What the rollups can answer: folds of counts and numbers, by and over the dimensions they keep, windows of an hour or more. */
export function answersFromRollups(query: MeterQuery): boolean {
  const aggregation = ['SUM', 'MIN', 'MAX', 'AVG'].includes(query.aggregation) || (query.aggregation === 'COUNT' && query.value === null);
  return aggregation && query.windowSize !== 'MINUTE' && query.dimensionFilter !== null && query.groupBy.every((d) => isRollupDimension(d.dimension));
}

/**
 * The smallest rollup that holds every dimension the query groups or filters by: the summaries'
 * cells by type and status, their cells by specification too, or the hourly rows, which keep the
 * product as well (rollups/meter-summaries.ts says why the summaries are smaller).
 */
export function rollupTier(query: MeterQuery): 'cells' | 'specCells' | 'rows' {
  const used = new Set<string>([
    ...query.groupBy.map((d) => rollupField[d.dimension as RollupDimension]),
    ...Object.entries(query.dimensionFilter ?? {}).flatMap(([field, values]) => (values ? [field] : [])),
  ]);
  if ([...used].every((field) => field === 'type' || field === 'status')) return 'cells';
  return [...used].every((field) => field !== 'product') ? 'specCells' : 'rows';
}

const quarterMs = 15 * 60_000;
const floorHour = (t: number) => Math.floor(t / hourMs) * hourMs;
const ceilHour = (t: number) => Math.ceil(t / hourMs) * hourMs;

/** Ranges [start, end) in ms, sorted and merged. */
function merged(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of ranges.filter(([a, b]) => a < b).sort(([a], [b]) => a - b)) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

type PartialRow = MeterPartialRow & { _id: { w: number } & Record<string, unknown> };

/**
 * Meters of an hour or longer windows from the meter rollups: every whole UTC hour inside one
 * window from the smallest rollup that holds the query's dimensions (rollupTier), and the hours a
 * boundary cuts (the range's ends, and in a zone offset by :30 or :45 every window's first hour)
 * from the summaries' quarters where the cuts fall on quarters and the query fits the cells, else
 * from the usages; marked hours (a write under way or not yet recomputed, rollups/maintainer.ts)
 * always from the usages. Each part is folded to count, sum, min and max and the parts are
 * combined, so the answer is the one the usages give. Anything else goes to `fromUsages`.
 */
export class RollupMeterSource implements MeterSource {
  constructor(
    /** The tenant's view of the usages. */
    private readonly usages: ProductUsageRepository,
    private readonly marks: MarkRepository,
    private readonly rollups: MeterHourRollupRepository,
    private readonly fromUsages: MeterSource,
  ) {}

  async *rows(query: MeterQuery): AsyncGenerator<MeterRow> {
    if (!answersFromRollups(query)) {
      yield* this.fromUsages.rows(query);
      return;
    }
    const tenant = this.usages.tenant!;
    const marked = await this.marks.ofTenant(tenant, 'hour', maxMarked, 'Aggregating usages');
    if (marked.length > maxMarked) {
      yield* this.fromUsages.rows(query);
      return;
    }
    const tier = rollupTier(query);
    const bounds = query.bounds.map((bound) => bound.getTime());
    const [from, to] = [bounds[0]!, bounds.at(-1)!];
    // The hours a boundary cuts, and whether every cut in each falls on a quarter of the hour.
    const cut = new Map<number, boolean>();
    for (const bound of bounds) if (bound % hourMs) cut.set(floorHour(bound), (cut.get(floorHour(bound)) ?? true) && bound % quarterMs === 0);
    const markedHours = new Set(
      marked.flatMap((mark) => (mark.hour && mark.hour.getTime() >= floorHour(from) && mark.hour.getTime() < to ? [mark.hour.getTime()] : [])),
    );
    const quarterHours = [...cut].flatMap(([hour, onQuarters]) => (tier === 'cells' && onQuarters && !markedHours.has(hour) ? [hour] : []));
    const usageHours = [...new Set([...[...cut.keys()].filter((hour) => !quarterHours.includes(hour)), ...markedHours])];
    const ranges = merged(usageHours.map((hour): [number, number] => [Math.max(hour, from), Math.min(hour + hourMs, to)]));
    const [first, last] = [ceilHour(from), floorHour(to)];
    const except = [...cut.keys(), ...markedHours].filter((hour) => hour >= first && hour < last);

    const parts = new Folds();
    const groupsOf = (id: Record<string, unknown>) => query.groupBy.map((_, n) => id[`g${n}`] ?? null);

    // The parts read at once (each after the marks, which must come first: rollups/reader.ts).
    const match = meterMatch(query);
    const inRanges: Filter<ProductUsageDocument> = { $or: ranges.map(([a, b]) => ({ usageDate: { $gte: new Date(a), $lt: new Date(b) } })) };
    const fromUsages = async () => {
      const rows: PartialRow[] = [];
      if (ranges.length) {
        for await (const row of this.usages.aggregateLive<PartialRow>({ ...match, $and: [...(match.$and ?? []), inRanges] }, meterPartialStages(query)))
          rows.push(row);
      }
      return rows;
    };
    const whole = first < last;
    const [usageRows, rollupRows, hourSummaries, quarterSummaries] = await Promise.all([
      fromUsages(),
      tier === 'rows' && whole
        ? this.rollups.aggregate<PartialRow>(tenant, this.rollupMatch(query, first, last, except), this.rollupStages(query), 'Aggregating usages')
        : [],
      // The whole range, the excepted hours left out here: a `$nin` of them made DocumentDB's index scan slower than reading them.
      tier !== 'rows' && whole ? this.rollups.summariesOf(tenant, query.value, { first, last }, tier, 'Aggregating usages') : [],
      quarterHours.length ? this.rollups.summariesOf(tenant, query.value, { only: quarterHours }, 'quarters', 'Aggregating usages') : [],
    ]);
    for (const row of [...usageRows, ...rollupRows]) parts.add(row._id.w, groupsOf(row._id), row);
    const excepted = new Set(except);
    for (const summary of hourSummaries) {
      if (excepted.has(summary.hour.getTime())) continue;
      const w = windowOf(bounds, summary.hour.getTime());
      for (const cell of summary.cells) if (cellMatches(query, cell)) parts.add(w, cellGroups(query, cell), cell);
    }
    for (const summary of quarterSummaries) {
      for (const cell of summary.cells) {
        const start = summary.hour.getTime() + cell.q! * quarterMs;
        if (start >= from && start < to && cellMatches(query, cell)) parts.add(windowOf(bounds, start), cellGroups(query, cell), cell);
      }
    }
    for (const part of parts.all) {
      if (!part.count) continue;
      yield { window: part.w, groups: part.groups, value: finalValue(query, part) };
    }
  }

  private rollupMatch(query: MeterQuery, first: number, last: number, except: readonly number[]): Filter<MeterHourRollupDocument> {
    const filter = query.dimensionFilter!;
    const anyOf = (values: readonly string[] | undefined) => (values ? { $in: [...values] } : undefined);
    const conditions: Filter<MeterHourRollupDocument> = {
      hour: { $gte: new Date(first), $lt: new Date(last), ...(except.length ? { $nin: except.map((t) => new Date(t)) } : {}) },
      name: query.value,
      ...(filter.spec ? { spec: anyOf(filter.spec) } : {}),
      ...(filter.type ? { type: anyOf(filter.type) } : {}),
      ...(filter.status ? { status: anyOf(filter.status) } : {}),
      ...(filter.product ? { product: anyOf(filter.product) } : {}),
    };
    return conditions;
  }

  private rollupStages(query: MeterQuery) {
    const groups = Object.fromEntries(query.groupBy.map((d, n) => [`g${n}`, `$${rollupField[d.dimension as RollupDimension]}`]));
    const window = windowIndex(query.bounds, 0, query.bounds.length - 1, '$hour');
    return [
      { $project: { w: typeof window === 'number' ? { $literal: window } : window, ...groups, count: 1, sum: 1, min: 1, max: 1 } },
      {
        $group: {
          _id: Object.fromEntries(['w', ...Object.keys(groups)].map((key) => [key, `$${key}`])),
          count: { $sum: '$count' },
          sum: { $sum: '$sum' },
          min: { $min: '$min' },
          max: { $max: '$max' },
        },
      },
    ];
  }
}

type Part = MeterFold & { w: number; groups: unknown[] };

/**
 * Folds by window and groups, in maps nested by window then by each group's value: the values the
 * rollups keep are strings or null, which a Map tells apart as they are, so no key is built per
 * cell (a JSON key per cell was 8 ms of a 30-day meter's 21,000 cells, with the garbage it made).
 */
class Folds {
  private readonly root = new Map<unknown, unknown>();
  readonly all: Part[] = [];

  add(w: number, groups: unknown[], row: MeterFold): void {
    let level = this.root;
    let key: unknown = w;
    for (const group of groups) {
      let next = level.get(key) as Map<unknown, unknown> | undefined;
      if (!next) level.set(key, (next = new Map()));
      level = next;
      key = group;
    }
    const known = level.get(key) as Part | undefined;
    if (known) return addFold(known, row);
    const part: Part = { count: row.count, sum: row.sum, min: row.min, max: row.max, w, groups };
    level.set(key, part);
    this.all.push(part);
  }
}

/** The index of the window holding instant `t` (within the bounds): the last bound at or before it. */
function windowOf(bounds: readonly number[], t: number): number {
  let [lo, hi] = [0, bounds.length - 1];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (t < bounds[mid]!) hi = mid;
    else lo = mid;
  }
  return lo;
}

/** Whether a summary's cell is within the query's filter (of type, status and specification: rollupTier). */
function cellMatches(query: MeterQuery, cell: MeterCell): boolean {
  const filter = query.dimensionFilter!;
  const within = (values: readonly string[] | undefined, value: string | null | undefined) => !values || (value != null && values.includes(value));
  return within(filter.type, cell.type) && within(filter.status, cell.status) && within(filter.spec, cell.spec);
}

const cellGroups = (query: MeterQuery, cell: MeterCell): unknown[] =>
  query.groupBy.map((d) => cell[rollupField[d.dimension as RollupDimension] as 'type' | 'status' | 'spec'] ?? null);

function finalValue(query: MeterQuery, part: MeterFold): number {
  switch (query.aggregation) {
    case 'COUNT':
      return part.count;
    case 'SUM':
      return part.sum;
    case 'MIN':
      return part.min!;
    case 'MAX':
      return part.max!;
    default:
      return part.sum / part.count;
  }
}
