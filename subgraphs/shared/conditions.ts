import type { Document } from 'mongodb';
import { badUserInput } from '../../platform/errors.js';
import { parseDateTime } from './scalars.js';
import type { FieldType } from '../../platform/contracts/usage-fields.js';

/**
 * Generic conditions on documented attribute paths (`where: [FieldCondition!]`), for clients such as
 * the TMF facade that may filter and sort on any attribute. Each subgraph declares its catalogue:
 * the paths a client may name, where each is stored and its type. A path outside the catalogue is
 * BAD_USER_INPUT, and values are coerced to the path's type, so a client never names a stored field
 * or an operator directly.
 */
/** The value types of the shared contracts (platform/contracts/usage-fields.ts). */
export type PathType = FieldType;

export interface PathSpec {
  stored: string;
  type: PathType;
  /** Only paths that hold one value per document sort meaningfully. */
  sortable?: boolean;
  enumValues?: readonly string[];
}

export type PathCatalogue = Readonly<Record<string, PathSpec>>;

export interface FieldConditionInput {
  path: string;
  op?: 'eq' | 'gt' | 'gte' | 'lt' | 'lte' | null;
  values: readonly unknown[];
}

function lookup(catalogue: PathCatalogue, path: string, argument: string): PathSpec {
  const spec = Object.hasOwn(catalogue, path) ? catalogue[path] : undefined;
  if (!spec) throw badUserInput(`${argument} names an unknown path "${path}".`, argument);
  return spec;
}

function coerce(spec: PathSpec, path: string, value: unknown): unknown {
  const fail = (expected: string) => badUserInput(`where: "${path}" takes ${expected}; got ${JSON.stringify(value)}.`, 'where');
  switch (spec.type) {
    case 'dateTime':
      return parseDateTime(value);
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw fail('a number');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw fail('true or false');
      return value;
    case 'string':
      if (typeof value !== 'string') throw fail('a string');
      if (spec.enumValues && !spec.enumValues.includes(value)) throw fail(`one of ${spec.enumValues.join(', ')}`);
      return value;
    case 'scalar':
      if (!['string', 'number', 'boolean'].includes(typeof value) || (typeof value === 'number' && !Number.isFinite(value))) {
        throw fail('a string, number or boolean');
      }
      return value;
  }
}

/** One MongoDB condition per input condition, to be ANDed (the same path may appear twice). */
export function conditionFilters(conditions: readonly FieldConditionInput[] | null | undefined, catalogue: PathCatalogue): Document[] {
  if (!conditions) return [];
  return conditions.map(({ path, op, values }) => {
    const spec = lookup(catalogue, path, 'where');
    if (values.length === 0) throw badUserInput(`where: "${path}" needs at least one value.`, 'where');
    const coerced = values.map((value) => coerce(spec, path, value));
    const operator = op ?? 'eq';
    if (operator === 'eq') return { [spec.stored]: { $in: coerced } };
    if (coerced.length !== 1) throw badUserInput(`where: "${path}" ${operator} takes exactly one value.`, 'where');
    if (spec.type === 'boolean') throw badUserInput(`where: "${path}" cannot be compared with ${operator}.`, 'where');
    return { [spec.stored]: { [`$${operator}`]: coerced[0] } };
  });
}

/** The stored path a sort key names, checked against the catalogue. */
export function sortPath(catalogue: PathCatalogue, path: string): string {
  const spec = lookup(catalogue, path, 'sort');
  if (!spec.sortable) throw badUserInput(`sort cannot order by "${path}".`, 'sort');
  return spec.stored;
}
