import type { Filter } from 'mongodb';
import type { ProductUsageDocument } from '../product-usage/documents.js';
import type { ProductUsageRepository } from '../product-usage/repository.js';
import { hourMs } from '../rollups/buckets.js';
import type { MarkRepository } from '../rollups/marks.js';
import type { MeterHourRollupDocument, MeterHourRollupRepository } from '../rollups/meter-repository.js';
import { addFold, PackedCells, quartersOf, type MeterFold } from '../rollups/meter-summaries.js';
import { meterMatch, meterPartialStages, windowIndex, type MeterPartialRow } from './pipeline.js';
import { tooManyGroups, type MeterQuery } from './query.js';
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

  async *rows(query: MeterQuery): AsyncGenerator<readonly MeterRow[]> {
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
    const quarterPart = tier === 'rows' ? undefined : quartersOf[tier];
    const quarterHours = [...cut].flatMap(([hour, onQuarters]) => (quarterPart && onQuarters && !markedHours.has(hour) ? [hour] : []));
    const usageHours = [...new Set([...[...cut.keys()].filter((hour) => !quarterHours.includes(hour)), ...markedHours])];
    const rangesOf = (hours: readonly number[]) => merged(hours.map((hour): [number, number] => [Math.max(hour, from), Math.min(hour + hourMs, to)]));
    const [first, last] = [ceilHour(from), floorHour(to)];
    const except = [...cut.keys(), ...markedHours].filter((hour) => hour >= first && hour < last);

    const parts = new Folds(query.groupBy.length);
    const groupsOf = (id: Record<string, unknown>) => query.groupBy.map((_, n) => id[`g${n}`] ?? null);

    // The parts read at once (each after the marks, which must come first: rollups/reader.ts).
    // The usages of the ranges alone, without the meter's whole range beside them: given both,
    // DocumentDB scans the whole range's index entries and tests each usage against the ranges
    // (7.5 s for 30 cut hours of a 30-day meter at 1,000,000 usages, against 0.8 s).
    const { usageDate: _range, ...match } = meterMatch(query);
    const fromUsages = async (ranges: readonly [number, number][]) => {
      const rows: PartialRow[] = [];
      if (ranges.length) {
        const inRanges: Filter<ProductUsageDocument> = { $or: ranges.map(([a, b]) => ({ usageDate: { $gte: new Date(a), $lt: new Date(b) } })) };
        for await (const row of this.usages.aggregateLive<PartialRow>({ ...match, $and: [...(match.$and ?? []), inRanges] }, meterPartialStages(query)))
          rows.push(row);
      }
      return rows;
    };
    const whole = first < last;
    const [usageRows, rollupRows, hourSummaries, quarterSummaries] = await Promise.all([
      fromUsages(rangesOf(usageHours)),
      tier === 'rows' && whole
        ? this.rollups.aggregate<PartialRow>(tenant, this.rollupMatch(query, first, last, except), this.rollupStages(query), 'Aggregating usages')
        : [],
      // The whole range, the excepted hours left out here: a `$nin` of them made DocumentDB's index scan slower than reading them.
      tier !== 'rows' && whole ? this.rollups.summariesOf(tenant, query.value, { first, last }, tier, 'Aggregating usages') : [],
      quarterPart && quarterHours.length ? this.rollups.summariesOf(tenant, query.value, { only: quarterHours }, quarterPart, 'Aggregating usages') : [],
    ]);
    // A cut hour with a summary of the whole hour but none by quarter was stored before its part
    // existed (`specQuarters`) and is not yet recomputed (rollups/repair.ts), and one at the range's
    // ends may be: the usages answer those. Any other without one has no usage of `value`.
    const quartered = new Set(quarterSummaries.map((summary) => summary.hour.getTime()));
    const summarized = new Set(hourSummaries.map((summary) => summary.hour.getTime()));
    const unquartered = quarterHours.filter((hour) => !quartered.has(hour) && (hour < first || hour >= last || summarized.has(hour)));
    for (const row of [...usageRows, ...rollupRows, ...(await fromUsages(rangesOf(unquartered)))]) parts.add(row._id.w, groupsOf(row._id), row);
    const excepted = new Set(except);
    foldSummaries(query, parts, hourSummaries, (hour) => (excepted.has(hour) ? undefined : windowOf(bounds, hour)));
    foldSummaries(query, parts, quarterSummaries, (hour, quarter) => {
      const start = hour + quarter * quarterMs;
      return start >= from && start < to ? windowOf(bounds, start) : undefined;
    });
    yield parts.all.flatMap((part) => (part.count ? [{ window: part.w, groups: part.groups, value: finalValue(query, part) }] : []));
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

/** Bits of a fold's key per group position: the rollups keep 4 dimensions, and 4 x 13 bits fit a double's 53. */
const idBits = 13;
/** What a value's number is multiplied by at each group position. */
const positionScale = [0, 1, 2, 3].map((p) => 2 ** (idBits * p));

/**
 * Folds by window and groups. Each group value is numbered per position and a group's key is its
 * values' numbers side by side, so adding a cell is one Map lookup by number (a JSON key per cell
 * was 8 ms of a 30-day meter's 21,000 cells; maps nested by value, one lookup per value, most of
 * what was left of folding them).
 */
class Folds {
  private readonly ids: Map<unknown, number>[];
  private readonly byWindow = new Map<number, Map<number, Part>>();
  readonly all: Part[] = [];

  constructor(width: number) {
    this.ids = Array.from({ length: width }, () => new Map<unknown, number>());
  }

  /** The number of `value` at group position `p` (values are strings or null, which a Map tells apart as they are). */
  idOf(p: number, value: unknown): number {
    const ids = this.ids[p]!;
    let id = ids.get(value);
    if (id === undefined) {
      // As many values at one position make more groups than a meter gives (readMeter says the same).
      if (ids.size >= 2 ** idBits) throw tooManyGroups();
      ids.set(value, (id = ids.size));
    }
    return id;
  }

  /** The key of the group whose value at position `p` is numbered `id` (add up one per position). */
  static keyPart(p: number, id: number): number {
    return id * positionScale[p]!;
  }

  /** The fold of window `w` and the group of `key`, made with the values `groups()` gives the first time. */
  at(w: number, key: number, groups: () => unknown[]): Part {
    let parts = this.byWindow.get(w);
    if (!parts) this.byWindow.set(w, (parts = new Map<number, Part>()));
    let part = parts.get(key);
    if (!part) {
      part = { count: 0, sum: 0, min: null, max: null, w, groups: groups() };
      parts.set(key, part);
      this.all.push(part);
    }
    return part;
  }

  add(w: number, groups: unknown[], row: MeterFold): void {
    let key = 0;
    for (let p = 0; p < groups.length; p++) key += Folds.keyPart(p, this.idOf(p, groups[p]));
    addFold(
      this.at(w, key, () => groups),
      row,
    );
  }
}

/**
 * Folds the summaries' cells within the query's filter into `parts`, read in place (PackedCells):
 * `windowAt(hour, quarter)` is the window of a cell (undefined: not in the meter). A summary's
 * strings are matched against the filter and numbered once each, not once per cell.
 */
function foldSummaries(
  query: MeterQuery,
  parts: Folds,
  summaries: readonly { hour: Date; cells: PackedCells }[],
  windowAt: (hour: number, quarter: number) => number | undefined,
): void {
  const filter = query.dimensionFilter!;
  for (const { hour, cells } of summaries) {
    const { part, strings } = cells;
    const quarter = PackedCells.position(part, 'q');
    const grouped = query.groupBy.map((d) => PackedCells.position(part, rollupField[d.dimension as RollupDimension] as 'type' | 'status' | 'spec'));
    const filtered = (['type', 'status', 'spec'] as const).flatMap((field) => {
      const values = filter[field];
      return values ? [{ position: PackedCells.position(part, field), allowed: strings.map((value) => values.includes(value)) }] : [];
    });
    // Per group position, the number of each string (at its index; null after the last), -1 until seen.
    const ids = grouped.map(() => new Int32Array(strings.length + 1).fill(-1));
    const hourMsStart = hour.getTime();
    const hourWindow = quarter < 0 ? windowAt(hourMsStart, 0) : undefined;
    if (quarter < 0 && hourWindow === undefined) continue;
    cells: for (let n = 0; n < cells.length; n++) {
      const w = quarter < 0 ? hourWindow : windowAt(hourMsStart, cells.key(n, quarter));
      if (w === undefined) continue;
      for (const { position, allowed } of filtered) {
        const index = cells.key(n, position);
        if (index === PackedCells.noKey || !allowed[index]) continue cells;
      }
      let key = 0;
      for (let p = 0; p < grouped.length; p++) {
        const index = cells.key(n, grouped[p]!);
        const slot = index === PackedCells.noKey ? strings.length : index;
        let id = ids[p]![slot]!;
        if (id < 0) id = ids[p]![slot] = parts.idOf(p, cells.stringOf(index));
        key += Folds.keyPart(p, id);
      }
      const fold = parts.at(w, key, () => grouped.map((position) => cells.stringOf(cells.key(n, position))));
      addFold(fold, cells.fold(n));
    }
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
