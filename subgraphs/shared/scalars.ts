import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { badUserInput } from '../../platform/errors.js';

// RFC 3339 date-time with a mandatory zone: the TMF specifications' `format: date-time`.
// A date without time or zone is ambiguous for usage (which day, in whose zone?), so it is refused.
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !rfc3339.test(value)) {
    throw badUserInput(`DateTime must be an ISO 8601 date-time with a time zone, e.g. 2026-11-24T10:00:00Z; got ${JSON.stringify(value)}.`);
  }
  const date = new Date(value);
  // new Date accepts 2026-02-31 by rolling over; compare the calendar fields to refuse it.
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  const local = new Date(Date.UTC(y!, m! - 1, d));
  if (Number.isNaN(date.getTime()) || local.getUTCMonth() !== m! - 1 || local.getUTCDate() !== d!) {
    throw badUserInput(`DateTime ${JSON.stringify(value)} is not a real date.`);
  }
  return date;
}

/**
 * The last Date serialized and its text: a meter's rows share their window's Date and come sorted
 * by window, so a 30-day hourly meter of 21,000 rows formats 720 dates, not 21,000 (about 20 ms).
 * Checked by time too, as a Date can be changed in place.
 */
const lastSerialized = { date: null as Date | null, time: NaN, text: '' };

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    if (value && value === lastSerialized.date && lastSerialized.date.getTime() === lastSerialized.time) return lastSerialized.text;
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot represent a non-date value');
    const text = date.toISOString();
    if (date === value) Object.assign(lastSerialized, { date, time: date.getTime(), text });
    return text;
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badUserInput('DateTime must be a string.');
    return parseDateTime(ast.value);
  },
});

export const MAX_JSON_DEPTH = 32;

/**
 * Any JSON value, checked so that it can be stored as is: no NaN or Infinity, bounded depth, and
 * no object key that MongoDB treats as an operator or path ("$..." or containing ".").
 */
export function checkJsonValue(value: unknown, depth = 0): unknown {
  if (depth > MAX_JSON_DEPTH) throw badUserInput(`JSON value is nested deeper than ${MAX_JSON_DEPTH} levels.`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw badUserInput('JSON numbers must be finite.');
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => checkJsonValue(v, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key.startsWith('$') || key.includes('.') || key.includes('\0') || key === '__proto__') {
        throw badUserInput(`JSON object key ${JSON.stringify(key)} is not allowed (no "$" prefix, ".", NUL or __proto__).`);
      }
      out[key] = checkJsonValue(v, depth + 1);
    }
    return out;
  }
  throw badUserInput('Value is not JSON.');
}

function literalToJson(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw badUserInput('JSON cannot represent an enum literal.');
  }
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => checkJsonValue(value),
  parseLiteral: (ast, variables) => checkJsonValue(literalToJson(ast, variables)),
});
