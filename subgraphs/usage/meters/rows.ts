import { badUserInput } from '../../../platform/errors.js';
import type { UsageMeterRow } from '../generated/resolvers.js';
import { meterLimits, type MeterQuery } from './query.js';
import type { MeterRow, MeterSource } from './source.js';

/** Kinds of JSON value in the order groups sort by: null first, then numbers, strings, booleans, the rest. */
const rank = (value: unknown) => (value === null ? 0 : typeof value === 'number' ? 1 : typeof value === 'string' ? 2 : typeof value === 'boolean' ? 3 : 4);

/** The order of two group values: by kind, then numbers by value, strings by code point, the rest by their JSON. */
export function compareValues(a: unknown, b: unknown): number {
  const byRank = rank(a) - rank(b);
  if (byRank) return byRank;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const [x, y] = typeof a === 'string' ? [a, b as string] : [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareRows(a: MeterRow, b: MeterRow): number {
  if (a.window !== b.window) return a.window - b.window;
  for (let n = 0; n < a.groups.length; n++) {
    const order = compareValues(a.groups[n], b.groups[n]);
    if (order) return order;
  }
  return 0;
}

/**
 * The meter's rows from `source`, as the API gives them: ordered by window, then groups; each window
 * clipped to the range. Stops reading at the first group or row past its limit (BAD_USER_INPUT).
 */
export async function readMeter(source: MeterSource, query: MeterQuery): Promise<UsageMeterRow[]> {
  const rows: MeterRow[] = [];
  const groups = new Set<string>();
  for await (const row of source.rows(query)) {
    groups.add(JSON.stringify(row.groups));
    if (groups.size > meterLimits.groups) {
      throw badUserInput(
        `The meter has more than ${meterLimits.groups} groups (the most it gives): filter the usages or group by fewer dimensions.`,
        'groupBy',
      );
    }
    if (rows.push(row) > meterLimits.rows) {
      throw badUserInput(`The meter has more than ${meterLimits.rows} rows (the most it gives): ask for fewer windows or fewer groups.`, 'groupBy');
    }
  }
  return rows.sort(compareRows).map((row) => ({
    windowStart: query.bounds[row.window]!,
    windowEnd: query.bounds[row.window + 1]!,
    groups: query.groupBy.map((d, n) => ({
      dimension: d.dimension,
      role: 'role' in d ? d.role : null,
      name: 'name' in d ? d.name : null,
      value: row.groups[n],
    })),
    value: row.value,
  }));
}
