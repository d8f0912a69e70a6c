import type { Filter } from 'mongodb';
import { badUserInput } from '../../../platform/errors.js';
import type { ProductUsageDocument } from '../product-usage/documents.js';
import { usageFilter } from '../product-usage/filters.js';
import type { UsageMeterAggregation, UsageMeterDimension, UsageMeterInput, UsageMeterWindowSize } from '../generated/resolvers.js';
import { windowBounds } from './windows.js';

/**
 * The limits of one meter (docs/meters.md). Windows are counted before anything is read; groups and
 * rows while the answer is read, which stops at the first past its limit. Rows bound the answer's
 * size: 1,000 windows of 1,000 groups would be a million.
 */
export const meterLimits = { windows: 1_000, groups: 1_000, rows: 50_000 } as const;

/** The refusal of a meter past meterLimits.groups. */
export const tooManyGroups = () =>
  badUserInput(`The meter has more than ${meterLimits.groups} groups (the most it gives): filter the usages or group by fewer dimensions.`, 'groupBy');

/** A dimension as the meter groups by it: RELATED_PARTY with its role, CHARACTERISTIC with its name. */
export type MeterDimension =
  | { dimension: Exclude<UsageMeterDimension, 'RELATED_PARTY' | 'CHARACTERISTIC'> }
  | { dimension: 'RELATED_PARTY'; role: string }
  | { dimension: 'CHARACTERISTIC'; name: string };

/** A checked meter request: what any source of meter rows (source.ts) answers. */
export interface MeterQuery {
  aggregation: UsageMeterAggregation;
  /** The characteristic aggregated; null only for COUNT. */
  value: string | null;
  windowSize: UsageMeterWindowSize | null;
  timeZone: string;
  /** Window i is [bounds[i], bounds[i + 1]); bounds[0] is `from`, the last is `to`. */
  bounds: Date[];
  groupBy: MeterDimension[];
  /** The client's ProductUsageFilter as a query (not yet within the tenant, the range or the statuses counted). */
  filter: Filter<ProductUsageDocument>;
  /**
   * The same filter as lists of the dimensions the meter rollups keep, when it names nothing else
   * (rollup-source.ts); null when it does, and only the usages can answer it.
   */
  dimensionFilter: { spec?: string[]; type?: string[]; status?: string[]; product?: string[] } | null;
}

/** The filter's fields the meter rollups can apply, and what each is in a rollup. */
const rollupFilterFields = { usageSpecificationId: 'spec', usageType: 'type', status: 'status', productId: 'product' } as const;

function dimensionFilterOf(filter: UsageMeterInput['filter']): MeterQuery['dimensionFilter'] {
  const out: NonNullable<MeterQuery['dimensionFilter']> = {};
  for (const [field, value] of Object.entries(filter ?? {})) {
    if (value == null) continue;
    const dimension = rollupFilterFields[field as keyof typeof rollupFilterFields];
    if (!dimension || !Array.isArray(value)) return null;
    out[dimension] = value as string[];
  }
  return out;
}

/** Aggregations of a number: the others take any value. */
export const numericAggregations: ReadonlySet<UsageMeterAggregation> = new Set(['SUM', 'MIN', 'MAX', 'AVG', 'LATEST']);

function dimensionOf({ dimension, role, name }: { dimension: UsageMeterDimension; role?: string | null; name?: string | null }): MeterDimension {
  if (dimension === 'RELATED_PARTY') {
    if (name != null) throw badUserInput('groupBy RELATED_PARTY takes a role, not a name.', 'groupBy');
    if (!role)
      throw badUserInput('groupBy RELATED_PARTY needs the role of the party to group by, e.g. { dimension: RELATED_PARTY, role: "customer" }.', 'groupBy');
    return { dimension, role };
  }
  if (dimension === 'CHARACTERISTIC') {
    if (role != null) throw badUserInput('groupBy CHARACTERISTIC takes a name, not a role.', 'groupBy');
    if (!name) throw badUserInput('groupBy CHARACTERISTIC needs the name of the characteristic to group by.', 'groupBy');
    return { dimension, name };
  }
  if (role != null || name != null) throw badUserInput(`groupBy ${dimension} takes neither a role nor a name.`, 'groupBy');
  return { dimension };
}

/** The key that tells two dimensions apart (the same one twice is refused). */
export const dimensionKey = (d: MeterDimension): string => JSON.stringify([d.dimension, 'role' in d ? d.role : 'name' in d ? d.name : null]);

/** Checks a UsageMeterInput; BAD_USER_INPUT for anything a meter cannot answer. */
export function meterQuery(input: UsageMeterInput): MeterQuery {
  const { aggregation, from, to } = input;
  const value = input.value ?? null;
  if (value === null && aggregation !== 'COUNT') throw badUserInput(`${aggregation} needs value: the name of the usage characteristic it aggregates.`, 'value');
  if (value === '') throw badUserInput('value must name a usage characteristic.', 'value');
  if (from.getTime() >= to.getTime()) throw badUserInput(`from must be before to; got from ${from.toISOString()} and to ${to.toISOString()}.`, 'from');
  const groupBy = (input.groupBy ?? []).map(dimensionOf);
  const keys = groupBy.map(dimensionKey);
  const twice = keys.find((key, n) => keys.indexOf(key) !== n);
  if (twice) throw badUserInput(`groupBy names ${groupBy[keys.indexOf(twice)]!.dimension} twice with the same role or name.`, 'groupBy');
  const timeZone = input.timeZone ?? 'UTC';
  const windowSize = input.windowSize ?? null;
  return {
    aggregation,
    value,
    windowSize,
    timeZone,
    bounds: windowBounds(from, to, windowSize, timeZone, meterLimits.windows),
    groupBy,
    filter: usageFilter(input.filter),
    dimensionFilter: dimensionFilterOf(input.filter),
  };
}
