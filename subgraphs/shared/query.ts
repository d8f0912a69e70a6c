import type { Document, Filter, Sort } from 'mongodb';
import { sortPath, type PathCatalogue } from './conditions.js';
import { asSortSpec, keysetOf, type Keyset } from './cursor.js';
import { badUserInput } from '../../platform/errors.js';

/**
 * Building blocks that translate typed GraphQL arguments into MongoDB queries. They only accept
 * values that GraphQL has already coerced (lists of scalars, Dates), never raw client objects, and
 * stay within what MongoDB 6+ and FerretDB 2 both run (docs/database.md, "What the queries use").
 */

export interface Page {
  skip: number;
  limit: number;
  /** Keyset paging (cursor.ts): the page starts after, or ends before, a cursor's position; skip is 0. */
  keyset?: Keyset;
}

export function page(offset: number | null | undefined, limit: number | null | undefined, paging: { defaultSize: number; maxSize: number }): Page {
  const skip = offset ?? 0;
  const size = limit ?? paging.defaultSize;
  if (!Number.isInteger(skip) || skip < 0) throw badUserInput(`offset must be 0 or more; got ${skip}.`, 'offset');
  if (!Number.isInteger(size) || size < 1 || size > paging.maxSize) {
    throw badUserInput(`limit must be between 1 and ${paging.maxSize}; got ${size}.`, 'limit');
  }
  return { skip, limit: size };
}

export interface CursorArgs {
  offset?: number | null;
  limit?: number | null;
  after?: string | null;
  before?: string | null;
}

/**
 * `page` with the cursors a list of `sort` may also take: `after` or `before` (one of them), which
 * replace `offset` rather than add to it.
 */
export function cursorPage(args: CursorArgs, sort: Sort, paging: { defaultSize: number; maxSize: number }): Page {
  const base = page(args.offset, args.limit, paging);
  if (args.after != null && args.before != null) throw badUserInput('Give after or before, not both.', 'before');
  const cursor = args.after ?? args.before;
  if (cursor == null) return base;
  if (base.skip) throw badUserInput('offset cannot be combined with after or before: a cursor says where the page starts.', 'offset');
  return { ...base, keyset: keysetOf(cursor, args.after != null ? 'after' : 'before', asSortSpec(sort)) };
}

/** `field IN values`. Absent means no condition; an empty list matches nothing. */
export function anyOf<T>(field: string, values: readonly T[] | null | undefined): Document {
  return values == null ? {} : { [field]: { $in: [...values] } };
}

export interface DateRange {
  gt?: Date | null;
  gte?: Date | null;
  lt?: Date | null;
  lte?: Date | null;
}

export function within(field: string, range: DateRange | null | undefined): Document {
  if (!range) return {};
  const condition: Document = {};
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    const value = range[op];
    if (value != null) condition[`$${op}`] = value;
  }
  return Object.keys(condition).length ? { [field]: condition } : {};
}

/**
 * ANDs conditions: the builders above each name one field (merged into one object), and generic
 * `where` conditions, which may name the same path twice, go into `$and`.
 */
export function allOf<T extends Document>(conditions: Document[], where: Document[] = []): Filter<T> {
  const merged = Object.assign({}, ...conditions) as Document;
  return (where.length ? { ...merged, $and: where } : merged) as Filter<T>;
}

export interface SortInput<F extends string> {
  field?: F | null;
  path?: string | null;
  direction?: 'ASC' | 'DESC' | null;
}

/**
 * Sort keys in order, each a field (mapped to its stored path) or a catalogue path, always ending
 * with _id so that paging is stable when sort values tie.
 */
export function sortBy<F extends string>(
  sort: readonly SortInput<F>[] | null | undefined,
  fields: Record<F, string>,
  fallback: Sort,
  catalogue: PathCatalogue = {},
): Sort {
  if (!sort || sort.length === 0) return fallback;
  const out: Record<string, 1 | -1> = {};
  for (const key of sort) {
    if ((key.field == null) === (key.path == null)) throw badUserInput('Each sort key needs exactly one of field and path.', 'sort');
    const stored = key.field != null ? fields[key.field] : sortPath(catalogue, key.path!);
    if (stored in out) throw badUserInput(`sort names ${key.field ?? key.path} twice.`, 'sort');
    out[stored] = key.direction === 'DESC' ? -1 : 1;
  }
  if (!('_id' in out)) out._id = 1;
  return out;
}

/**
 * A partial update from a GraphQL patch input: a key left out keeps the stored value, null clears
 * it (a list becomes []), a value replaces it. Keys in `required` cannot be cleared.
 */
export function patchUpdate(
  patch: Record<string, unknown>,
  options: { required: readonly string[]; lists: readonly string[]; now: Date },
): { $set: Document; $unset: Document } {
  const $set: Document = { lastUpdate: options.now };
  const $unset: Document = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      if (options.required.includes(key)) throw badUserInput(`${key} cannot be cleared.`, key);
      if (options.lists.includes(key)) $set[key] = [];
      else $unset[key] = '';
      continue;
    }
    $set[key] = value;
  }
  return { $set, $unset };
}
