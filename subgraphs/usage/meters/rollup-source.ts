import type { Filter } from 'mongodb';
import type { ProductUsageDocument } from '../product-usage/documents.js';
import type { ProductUsageRepository } from '../product-usage/repository.js';
import { hourMs } from '../rollups/buckets.js';
import type { MarkRepository } from '../rollups/marks.js';
import type { MeterHourRollupDocument, MeterHourRollupRepository } from '../rollups/meter-repository.js';
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

/**
 * Meters of an hour or longer windows from the hourly meter rollups: every whole UTC hour inside
 * one window from its rollup, and from the usages what a rollup cannot answer exactly: the part of
 * the range before its first and after its last whole hour, the hours a window boundary cuts (a zone
 * with a half-hour offset cuts every day's first hour), and the hours marked (a write under way or
 * not yet recomputed, rollups/maintainer.ts). Each part is folded to count, sum, min and max and the
 * parts are combined, so the answer is the one the usages give. Anything else goes to `usages`.
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
    const from = query.bounds[0]!.getTime();
    const to = query.bounds.at(-1)!.getTime();
    const [first, last] = [ceilHour(from), floorHour(to)];
    // Hours not taken from their rollup: cut by a window boundary, or marked.
    const cut = query.bounds.slice(1, -1).flatMap((bound) => (bound.getTime() % hourMs ? [floorHour(bound.getTime())] : []));
    const markedHours = marked.flatMap((mark) => (mark.hour && mark.hour.getTime() >= from - hourMs && mark.hour.getTime() < to ? [mark.hour.getTime()] : []));
    const fromUsageHours = [...new Set([...cut, ...markedHours])];
    const ranges = merged([
      [from, Math.min(first, to)],
      [Math.max(last, from), to],
      ...fromUsageHours.map((hour): [number, number] => [Math.max(hour, from), Math.min(hour + hourMs, to)]),
    ]);

    const parts = new Map<string, MeterPartialRow & { w: number; groups: unknown[] }>();
    const add = (w: number, groups: unknown[], row: MeterPartialRow) => {
      const key = JSON.stringify([w, groups]);
      const known = parts.get(key);
      if (!known) return void parts.set(key, { ...row, w, groups });
      known.count += row.count;
      known.sum += row.sum;
      known.min = known.min === null ? row.min : row.min === null ? known.min : Math.min(known.min, row.min);
      known.max = known.max === null ? row.max : row.max === null ? known.max : Math.max(known.max, row.max);
    };
    const groupsOf = (id: Record<string, unknown>) => query.groupBy.map((_, n) => id[`g${n}`] ?? null);

    if (ranges.length) {
      const inRanges: Filter<ProductUsageDocument> = { $or: ranges.map(([a, b]) => ({ usageDate: { $gte: new Date(a), $lt: new Date(b) } })) };
      const match = meterMatch(query);
      for await (const row of this.usages.aggregateLive<MeterPartialRow & { _id: { w: number } & Record<string, unknown> }>(
        { ...match, $and: [...(match.$and ?? []), inRanges] },
        meterPartialStages(query),
      )) {
        add(row._id.w, groupsOf(row._id), row);
      }
    }
    if (first < last) {
      const rows = await this.rollups.aggregate<MeterPartialRow & { _id: { w: number } & Record<string, unknown> }>(
        tenant,
        this.rollupMatch(query, first, last, fromUsageHours),
        this.rollupStages(query),
        'Aggregating usages',
      );
      for (const row of rows) add(row._id.w, groupsOf(row._id), row);
    }
    for (const part of parts.values()) {
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

function finalValue(query: MeterQuery, part: MeterPartialRow): number {
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
