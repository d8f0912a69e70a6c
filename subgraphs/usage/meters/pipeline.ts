import type { Document, Filter } from 'mongodb';
import type { ProductUsageDocument } from '../product-usage/documents.js';
import { numericAggregations, type MeterDimension, type MeterQuery } from './query.js';

/**
 * The one aggregation that answers a meter from the usages, within what MongoDB 6+ and FerretDB 2
 * both run (tried on FerretDB 2.7 / DocumentDB; docs/meters.md lists the operators): `$match` on the
 * range (served by `{tenant, usageDate}`), `$project` of each usage's window, group values and value,
 * then `$group`. No `$unwind`: a characteristic or a party is picked out of its array with
 * `$filter` / `$map` / `$arrayElemAt`. Names and roles the client gives are compared as `$literal`s,
 * so a name such as "$status" is a name, not a field path.
 */

/** Superseded usages were replaced by others (TMF635): counting both would count the usage twice. */
export const uncountedStatus = 'superseded';

/** The `value` of the first element of `array` whose `key` is `wanted`, or missing. */
const firstOf = (array: string, key: string, wanted: string, field: string): Document => ({
  $arrayElemAt: [{ $map: { input: { $filter: { input: array, cond: { $eq: [`$$this.${key}`, { $literal: wanted }] } } }, in: `$$this.${field}` } }, 0],
});

const characteristic = (name: string) => firstOf('$usageCharacteristic', 'name', name, 'value');

/**
 * The value of one dimension; missing becomes null, since the database tells a missing key in a
 * group's `_id` apart from a null one and the meter does not.
 */
function dimensionValue(d: MeterDimension): Document {
  const paths = { USAGE_SPECIFICATION: '$usageSpecification.id', USAGE_TYPE: '$usageType', STATUS: '$status', PRODUCT: '$product.id' } as const;
  const expression =
    d.dimension === 'RELATED_PARTY'
      ? firstOf('$relatedParty', 'role', d.role, 'partyOrPartyRole.id')
      : d.dimension === 'CHARACTERISTIC'
        ? characteristic(d.name)
        : paths[d.dimension];
  return { $ifNull: [expression, null] };
}

/**
 * The index of the window holding usageDate: a balanced tree of `$cond`s over the boundaries, so
 * each usage is compared about log2(windows) times (10 for the most windows a meter has), whatever
 * the zone makes of them (23-hour days, half-hour offsets).
 */
export function windowIndex(bounds: readonly Date[], lo = 0, hi = bounds.length - 1, field = '$usageDate'): Document | number {
  if (hi - lo <= 1) return lo;
  const mid = Math.floor((lo + hi) / 2);
  return { $cond: [{ $lt: [field, bounds[mid]] }, windowIndex(bounds, lo, mid, field), windowIndex(bounds, mid, hi, field)] };
}

/** The usage's value: null when it has none, or (where a number is aggregated) one that is not a number. */
function valueOf(query: MeterQuery): Document | null {
  if (query.value === null) return null;
  const value = characteristic(query.value);
  if (!numericAggregations.has(query.aggregation)) return { $ifNull: [value, null] };
  return { $let: { vars: { v: value }, in: { $cond: [{ $isNumber: '$$v' }, '$$v', null] } } };
}

const accumulators = {
  SUM: { $sum: '$v' },
  COUNT: { $sum: 1 },
  MIN: { $min: '$v' },
  MAX: { $max: '$v' },
  AVG: { $avg: '$v' },
  LATEST: { $last: '$v' },
  UNIQUE_COUNT: { $addToSet: '$v' },
} as const;

/** The usages a meter counts: `filter` (the client's), within the range, never superseded ones. */
export function meterMatch(query: MeterQuery): Filter<ProductUsageDocument> {
  const range = { $gte: query.bounds[0]!, $lt: query.bounds.at(-1)! };
  const match: Filter<ProductUsageDocument> = { usageDate: range, status: { $ne: uncountedStatus } };
  // The client's filter goes into $and, where its own usageDate or status cannot replace these.
  return Object.keys(query.filter).length ? { ...match, $and: [query.filter] } : match;
}

/** A row of the aggregation: window index, group values g0, g1, ... in groupBy order, and the value. */
export interface MeterAggregateRow {
  _id: { w: number } & Record<string, unknown>;
  value: number;
}

/** A part of a meter's window and group, folded so that parts add up (meters/rollup-source.ts). */
export interface MeterPartialRow {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

/** Like meterStages, but each window and group folded to count, sum, min and max of the value (the count alone for COUNT). */
export function meterPartialStages(query: MeterQuery): Document[] {
  const groups = Object.fromEntries(query.groupBy.map((d, n) => [`g${n}`, dimensionValue(d)]));
  const value = valueOf(query);
  const window = windowIndex(query.bounds);
  const id = Object.fromEntries(['w', ...Object.keys(groups)].map((key) => [key, `$${key}`]));
  return [
    { $project: { w: typeof window === 'number' ? { $literal: window } : window, ...groups, ...(value ? { v: value } : {}) } },
    ...(value ? [{ $match: { v: { $ne: null } } }] : []),
    {
      $group: {
        _id: id,
        count: { $sum: 1 },
        sum: value ? { $sum: '$v' } : { $sum: 0 },
        min: value ? { $min: '$v' } : { $min: null },
        max: value ? { $max: '$v' } : { $max: null },
      },
    },
  ];
}

/**
 * The stages after the `$match` (which the repository puts within the tenant). LATEST sorts by
 * usageDate then id right before `$group`, where both engines keep the order for `$last`.
 */
export function meterStages(query: MeterQuery): Document[] {
  const groups = Object.fromEntries(query.groupBy.map((d, n) => [`g${n}`, dimensionValue(d)]));
  const value = valueOf(query);
  const window = windowIndex(query.bounds);
  const project: Document = {
    // A bare number in $project would mean "include" or "exclude": the one window's index is a literal.
    w: typeof window === 'number' ? { $literal: window } : window,
    ...groups,
    ...(value ? { v: value } : {}),
    ...(query.aggregation === 'LATEST' ? { d: '$usageDate' } : {}),
  };
  const id = Object.fromEntries(['w', ...Object.keys(groups)].map((key) => [key, `$${key}`]));
  return [
    { $project: project },
    ...(value ? [{ $match: { v: { $ne: null } } }] : []),
    ...(query.aggregation === 'LATEST' ? [{ $sort: { d: 1, _id: 1 } }] : []),
    { $group: { _id: id, value: accumulators[query.aggregation] } },
    ...(query.aggregation === 'UNIQUE_COUNT' ? [{ $project: { value: { $size: '$value' } } }] : []),
  ];
}
