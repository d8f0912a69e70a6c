import { badUserInput } from '../../../platform/errors.js';
import type { UsageMeterRow } from '../generated/resolvers.js';
import { meterLimits, tooManyGroups, type MeterQuery } from './query.js';
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

/** The order of two groups' values: by the first value, then the next. */
function compareGroups(a: readonly unknown[], b: readonly unknown[]): number {
  for (let n = 0; n < a.length; n++) {
    const order = compareValues(a[n], b[n]);
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
  /** Every entry (in the order they were made, until sorted). */
  readonly all: T[] = [];
  get size(): number {
    return this.all.length;
  }

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
    this.all.push(made);
    return made;
  }
}

/** A distinct group of a meter: its values, as the API shows them, and its place in the order of groups. */
interface Group {
  values: readonly unknown[];
  shown: UsageMeterRow['groups'];
  rank: number;
}

/**
 * The meter's rows from `source`, as the API gives them: ordered by window, then groups; each window
 * clipped to the range. Stops reading at the batch holding the first group or row past its limit (BAD_USER_INPUT).
 * Rows of the same group share its `groups` list, made once. The groups (at most meterLimits.groups)
 * are ordered once and the rows by window and the group's rank: comparing the values of two rows'
 * groups at every step of sorting 21,000 rows was about a tenth of a 30-day hourly meter's CPU.
 */
export async function readMeter(source: MeterSource, query: MeterQuery): Promise<UsageMeterRow[]> {
  const rows: { row: MeterRow; group: Group }[] = [];
  const groups = new Groups<Group>();
  for await (const batch of source.rows(query))
    for (const row of batch) {
      const group = groups.entry(row.groups, () => ({
        values: row.groups,
        shown: query.groupBy.map((d, n) => ({
          dimension: d.dimension,
          role: 'role' in d ? d.role : null,
          name: 'name' in d ? d.name : null,
          value: row.groups[n],
        })),
        rank: 0,
      }));
      if (groups.size > meterLimits.groups) throw tooManyGroups();
      if (rows.push({ row, group }) > meterLimits.rows) {
        throw badUserInput(`The meter has more than ${meterLimits.rows} rows (the most it gives): ask for fewer windows or fewer groups.`, 'groupBy');
      }
    }
  groups.all.sort((a, b) => compareGroups(a.values, b.values)).forEach((group, rank) => (group.rank = rank));
  return rows
    .sort((a, b) => a.row.window - b.row.window || a.group.rank - b.group.rank)
    .map(({ row, group }) => ({
      windowStart: query.bounds[row.window]!,
      windowEnd: query.bounds[row.window + 1]!,
      groups: group.shown,
      value: row.value,
    }));
}
