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

/** Whether a Map tells `value` apart from every other as it is (not an object or array, which it compares by identity). */
const isPrimitive = (value: unknown) => value === null || typeof value !== 'object';

/**
 * One entry per distinct group: in maps nested by each value where every value is a primitive,
 * with no key to build per row (a JSON key per row was about 10 ms of a 30-day hourly meter's
 * 21,000 rows), else by the values' JSON.
 */
class Groups<T> {
  private readonly nested = new Map<unknown, unknown>();
  private readonly byJson = new Map<string, T>();
  size = 0;

  /** The entry of `values`, made by `make` the first time they are seen. */
  entry(values: readonly unknown[], make: () => T): T {
    let level = this.nested;
    let key: unknown;
    if (values.every(isPrimitive)) {
      for (const value of values) {
        let next = level.get(value) as Map<unknown, unknown> | undefined;
        if (!next) level.set(value, (next = new Map()));
        level = next;
      }
      // Under a key no value can be: the innermost map itself.
      key = level;
    } else [level, key] = [this.byJson, JSON.stringify(values)];
    const known = level.get(key) as T | undefined;
    if (known !== undefined) return known;
    const made = make();
    level.set(key, made);
    this.size += 1;
    return made;
  }
}

/**
 * The meter's rows from `source`, as the API gives them: ordered by window, then groups; each window
 * clipped to the range. Stops reading at the first group or row past its limit (BAD_USER_INPUT).
 * Rows of the same group share its `groups` list, made once.
 */
export async function readMeter(source: MeterSource, query: MeterQuery): Promise<UsageMeterRow[]> {
  const rows: { row: MeterRow; groups: UsageMeterRow['groups'] }[] = [];
  const groups = new Groups<UsageMeterRow['groups']>();
  for await (const row of source.rows(query)) {
    const shown = groups.entry(row.groups, () =>
      query.groupBy.map((d, n) => ({
        dimension: d.dimension,
        role: 'role' in d ? d.role : null,
        name: 'name' in d ? d.name : null,
        value: row.groups[n],
      })),
    );
    if (groups.size > meterLimits.groups) {
      throw badUserInput(
        `The meter has more than ${meterLimits.groups} groups (the most it gives): filter the usages or group by fewer dimensions.`,
        'groupBy',
      );
    }
    if (rows.push({ row, groups: shown }) > meterLimits.rows) {
      throw badUserInput(`The meter has more than ${meterLimits.rows} rows (the most it gives): ask for fewer windows or fewer groups.`, 'groupBy');
    }
  }
  return rows
    .sort((a, b) => compareRows(a.row, b.row))
    .map(({ row, groups: shown }) => ({
      windowStart: query.bounds[row.window]!,
      windowEnd: query.bounds[row.window + 1]!,
      groups: shown,
      value: row.value,
    }));
}
