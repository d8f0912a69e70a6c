import type { Document, Sort } from 'mongodb';
import { badUserInput } from '../../platform/errors.js';

/**
 * Keyset ("cursor") paging: a page starts after (or ends before) the sort-key values of a document
 * instead of skipping `offset` matches, so page 500 costs what page 1 does: an index range scan of
 * `limit` entries rather than a walk over every match before it.
 *
 * A cursor is opaque to clients (TMF630 v5 `after`/`before`, GraphQL `after`/`before`): base64url of
 * the sort it belongs to and the document's values of its keys (the sort always ends with `_id`, so
 * a position is unique). A cursor of another sort, or anything that is not one, is BAD_USER_INPUT.
 *
 * Missing and null values sort first ascending and last descending (MongoDB's order); the conditions
 * below keep that order, since `$gt`/`$lt` never match across types (MongoDB's type bracketing).
 */
export type SortSpec = Record<string, 1 | -1>;

export interface Keyset {
  /** `after`: the documents following the cursor's; `before`: those preceding it. */
  direction: 'after' | 'before';
  values: unknown[];
}

const signature = (sort: SortSpec) =>
  Object.entries(sort)
    .map(([path, direction]) => `${path}:${direction}`)
    .join(',');

/** Dates survive the trip through JSON as `{ $date: iso }`; other values are JSON already. */
const encodeValue = (value: unknown): unknown => (value instanceof Date ? { $date: value.toISOString() } : (value ?? null));
const decodeValue = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && typeof (value as { $date?: unknown }).$date === 'string'
    ? new Date((value as { $date: string }).$date)
    : value;

function valueAt(doc: Document, path: string): unknown {
  let value: unknown = doc;
  for (const segment of path.split('.')) {
    if (typeof value !== 'object' || value === null) return null;
    value = (value as Document)[segment];
  }
  return value;
}

export const asSortSpec = (sort: Sort): SortSpec => sort as SortSpec;

/** The cursor that points at `doc` in a list sorted by `sort`. */
export function cursorOf(doc: Document, sort: SortSpec): string {
  const values = Object.keys(sort).map((path) => encodeValue(valueAt(doc, path)));
  return Buffer.from(JSON.stringify({ s: signature(sort), v: values })).toString('base64url');
}

/** The keyset a client's `after` or `before` cursor stands for, for a list sorted by `sort`. */
export function keysetOf(cursor: string, direction: Keyset['direction'], sort: SortSpec): Keyset {
  const refuse = () => badUserInput(`${direction} is not a cursor of this list (with this sort); use the cursor a page of it gave.`, direction);
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  const { s, v } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { s?: unknown; v?: unknown };
  if (s !== signature(sort) || !Array.isArray(v) || v.length !== Object.keys(sort).length) throw refuse();
  for (const value of v) {
    if (value !== null && typeof value === 'object' && typeof (value as { $date?: unknown }).$date !== 'string') throw refuse();
  }
  const values = v.map(decodeValue);
  if (values.some((value) => value instanceof Date && Number.isNaN(value.getTime()))) throw refuse();
  return { direction, values };
}

/** `sort` the other way round: what a `before` page reads, nearest the cursor first. */
export const reversed = (sort: SortSpec): SortSpec => Object.fromEntries(Object.entries(sort).map(([path, direction]) => [path, -direction])) as SortSpec;

/** `path` strictly past `value` in `direction` (1 ascending), nulls where MongoDB sorts them; null when nothing is. */
function past(path: string, value: unknown, direction: 1 | -1): Document | null {
  if (value === null) return direction === 1 ? { [path]: { $ne: null } } : null;
  return direction === 1 ? { [path]: { $gt: value } } : { $or: [{ [path]: { $lt: value } }, { [path]: null }] };
}

/**
 * The filter for the documents strictly past the keyset in reading order: past on the first key, or
 * equal on the first and past on the second, and so on. A range on the first key comes first when it
 * bounds every match, so the database reads an index range instead of testing each `$or` branch.
 */
export function keysetFilter(sort: SortSpec, keyset: Keyset, alwaysPresent: ReadonlySet<string>): Document {
  const order = keyset.direction === 'after' ? sort : reversed(sort);
  const paths = Object.keys(order);
  const branches: Document[] = [];
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    const branch = past(path, keyset.values[i], order[path]!);
    if (!branch) continue;
    const equal = paths.slice(0, i).map((prefix, j) => ({ [prefix]: keyset.values[j] ?? null }));
    branches.push(equal.length ? { $and: [...equal, branch] } : branch);
  }
  if (!branches.length) return { _id: { $exists: false } };
  const first = paths[0]!;
  const start = keyset.values[0];
  const bound = alwaysPresent.has(first) && start !== null ? { [first]: { [order[first] === 1 ? '$gte' : '$lte']: start } } : null;
  const or = { $or: branches };
  return bound ? { $and: [bound, or] } : or;
}
