/**
 * TMF630 list query parameters (`fields`, `offset`, `limit`, `sort`, attribute filters) translated
 * into a typed ListQuery for the graph's generic `where` conditions and sort paths. Pure: no HTTP
 * framework, no GraphQL. Every parameter is checked against the resource's catalogue, so a client
 * never names a stored field or a database operator, and nothing unknown is silently ignored.
 */
import { alwaysKept } from './fields.js';

export type FieldType = 'string' | 'dateTime' | 'number' | 'boolean';
export interface FieldSpec {
  /** Path in the graph's generic filter/sort (e.g. 'relatedParty.partyOrPartyRole.id'). */
  path: string;
  type: FieldType;
  /** When set, only these values are accepted (400 otherwise, naming the allowed ones). */
  enumValues?: readonly string[];
  /**
   * Maps one client value to the stored values it stands for (e.g. TMF v4 status 'received' ->
   * ['received','initialized']). Applied after enum checking; result is ORed. For string fields;
   * it must return at least one value.
   */
  translate?: (value: string) => readonly string[];
  filterable?: boolean; // default true
  sortable?: boolean; // default true
}
/** Keys are the attribute paths a client writes, e.g. 'status', 'creationDate', 'relatedParty.id', '@type'. */
export type FieldCatalogue = Readonly<Record<string, FieldSpec>>;
export type Operator = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';
export interface Condition {
  path: string;
  op: Operator;
  values: (string | number | boolean)[];
}
export interface ListQuery {
  /** Client attribute names as written (for projectFields), not graph paths; null = all fields. */
  fields: string[] | null;
  offset: number;
  limit: number;
  sort: { path: string; direction: 'ASC' | 'DESC' }[];
  /** ANDed; each condition's values are ORed. */
  conditions: Condition[];
  /** TMF630 v5 cursor paging, where the resource offers it: the opaque cursor of a page's Link header. */
  after?: string;
  before?: string;
}

/** A client error in one query parameter: the REST layer answers 400 naming `parameter`. */
export class TmfQueryError extends Error {
  override readonly name = 'TmfQueryError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_STRING_LENGTH = 1024;
const operators: readonly Operator[] = ['eq', 'gt', 'gte', 'lt', 'lte'];
// TMF635 v5 also lists `filter` (JSONPath), and `before` and `after` (cursors), which resources
// without cursor paging refuse; refusing them by name says why, where a generic "unknown parameter"
// would leave the client guessing.
const unsupported: Readonly<Record<string, string>> = {
  filter: 'is not supported (JSONPath); filter with attribute parameters such as status=rated',
  before: 'is not supported here (cursor paging); page with offset and limit',
  after: 'is not supported here (cursor paging); page with offset and limit',
};
const cursorParameters = new Set(['after', 'before']);

/** A client value in an error message: quoted, escaped, and short enough to log. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function fail(parameter: string, expectation: string, got?: string): TmfQueryError {
  const suffix = got === undefined ? '' : `; got ${quote(got)}`;
  return new TmfQueryError(parameter, `Parameter ${quote(parameter)} ${expectation}${suffix}.`);
}

const specOf = (catalogue: FieldCatalogue, key: string): FieldSpec | undefined => (Object.hasOwn(catalogue, key) ? catalogue[key] : undefined);

// Operator injection (`status[$ne]=`, `$where=`, `status={"$gt":""}`): whatever the layers below do
// with a value, one that is shaped like an operator or a JSON document never gets that far.
function looksLikeOperator(text: string): boolean {
  if (text.startsWith('$')) return true;
  if (!text.startsWith('{') && !text.startsWith('[')) return false;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null;
  } catch {
    return false;
  }
}

function refuseOperators(name: string, value: string): void {
  if (/[[\]$]/.test(name)) {
    throw fail(name, 'is not allowed: parameter names may not contain "[", "]" or "$" (a query parameter is data, never a database operator)');
  }
  if (looksLikeOperator(value) || value.split(',').some(looksLikeOperator)) {
    throw fail(name, 'must be plain data, not a database operator or JSON document (no leading "$", "{" or "[")', value);
  }
}

function parseInteger(name: string, raw: string, min: number, max: number, expectation: string): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) throw fail(name, expectation, raw);
  return value;
}

function parseFields(raw: string, catalogue: FieldCatalogue): string[] {
  // A selectable name is a catalogue key or any dotted prefix of one (`relatedParty`, `usageProductPrice.price`).
  const selectable = new Set<string>(alwaysKept);
  for (const key of Object.keys(catalogue)) {
    const segments = key.split('.');
    for (let end = 1; end <= segments.length; end++) selectable.add(segments.slice(0, end).join('.'));
  }
  const fields: string[] = [];
  for (const name of raw.split(',')) {
    if (name === '') throw fail('fields', 'must be a comma-separated list of attribute names with no empty entries', raw);
    if (!selectable.has(name)) throw fail('fields', `names an unknown attribute ${quote(name)}`);
    if (!fields.includes(name)) fields.push(name);
  }
  return fields;
}

function parseSort(raw: string, catalogue: FieldCatalogue): ListQuery['sort'] {
  const sort: ListQuery['sort'] = [];
  for (const item of raw.split(',')) {
    // An unencoded "+" arrives as a space (application/x-www-form-urlencoded), so both mean ascending.
    const descending = item.startsWith('-');
    const key = descending || item.startsWith('+') || item.startsWith(' ') ? item.slice(1) : item;
    if (key === '') throw fail('sort', 'must be a comma-separated list of attribute names, each optionally prefixed by "-" (descending)', raw);
    const spec = specOf(catalogue, key);
    if (!spec) throw fail('sort', `names an unknown attribute ${quote(key)}`);
    if (spec.sortable === false) throw fail('sort', `cannot order by ${quote(key)}`);
    if (sort.some((s) => s.path === spec.path)) throw fail('sort', `names ${quote(key)} more than once`);
    sort.push({ path: spec.path, direction: descending ? 'DESC' : 'ASC' });
  }
  return sort;
}

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

// RFC 3339 date-time with a zone, or a plain date. The space alternative to the sign is an
// unencoded "+" (as in +02:00) that form decoding turned into a space.
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+\- ])(\d{2}):(\d{2})))?$/;

/** The instant as `YYYY-MM-DDTHH:mm:ss.sssZ`, or null when the text is no real instant. */
export function normaliseDateTime(text: string): string | null {
  const match = dateTimePattern.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = [1, 2, 3, 4, 5, 6, 9, 10].map((i) => Number(match[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return null;
  // Stored dates hold milliseconds; finer fractions are truncated rather than rounded into the next unit.
  const millis = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  const date = new Date(0);
  // setUTCFullYear, because Date.UTC reads years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const sign = match[8] === '-' ? -1 : 1;
  const instant = new Date(date.getTime() - sign * (offsetHour * 60 + offsetMinute) * 60_000);
  const utcYear = instant.getUTCFullYear();
  return utcYear >= 0 && utcYear <= 9999 ? instant.toISOString() : null;
}

function typedValue(name: string, text: string, type: FieldType): string | number | boolean {
  switch (type) {
    case 'string':
      // Length in characters (code points), as a client counts them.
      if ((text.length > MAX_STRING_LENGTH && [...text].length > MAX_STRING_LENGTH) || /\p{Cc}/u.test(text)) {
        throw fail(name, `must be a text of at most ${MAX_STRING_LENGTH} characters without control characters`, text);
      }
      return text;
    case 'number': {
      const value = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isFinite(value)) throw fail(name, 'must be a finite decimal number such as 12 or -0.5', text);
      return value;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw fail(name, 'must be true or false', text);
      return text === 'true';
    case 'dateTime': {
      const value = normaliseDateTime(text);
      if (value === null) {
        throw fail(name, 'must be an ISO 8601 date-time with a time zone (2026-01-31T10:00:00Z) or a date (2026-01-31, midnight UTC) that exists', text);
      }
      return value;
    }
  }
}

function valuesOf(name: string, text: string, spec: FieldSpec): (string | number | boolean)[] {
  if (text === '') throw fail(name, 'needs a non-empty value (a comma list may not have empty entries)');
  // The allowed values first: they tell the client more than a type would.
  if (spec.enumValues && !spec.enumValues.includes(text)) throw fail(name, `must be one of ${spec.enumValues.join(', ')}`, text);
  const value = typedValue(name, text, spec.type);
  if (!spec.translate) return [value];
  const stored = spec.translate(text);
  // An empty translation is a catalogue defect, not a client error: let it surface as a 500.
  if (stored.length === 0) throw new Error(`FieldCatalogue: translate(${JSON.stringify(text)}) for ${spec.path} returned no values.`);
  return [...stored];
}

function parseCondition(name: string, raw: string, catalogue: FieldCatalogue): Condition {
  // The whole name first, so a catalogue key is never misread as key + operator.
  let key = name;
  let op: Operator = 'eq';
  let spec = specOf(catalogue, name);
  if (!spec) {
    const dot = name.lastIndexOf('.');
    const base = dot > 0 ? specOf(catalogue, name.slice(0, dot)) : undefined;
    const suffix = name.slice(dot + 1);
    if (!base) {
      const reason = Object.hasOwn(unsupported, name) ? unsupported[name] : undefined;
      throw fail(name, reason ?? 'is not a known attribute or query parameter of this resource');
    }
    if (!operators.includes(suffix as Operator)) throw fail(name, `uses an unknown operator ${quote(suffix)}; use ${operators.join(', ')}`);
    [key, op, spec] = [name.slice(0, dot), suffix as Operator, base];
  }
  if (spec.filterable === false) throw fail(name, `cannot be used as a filter: ${quote(key)} is not filterable`);
  if (op !== 'eq') {
    // Ordering booleans or enum values (stored spellings, possibly translated) means nothing to a client.
    if (spec.type === 'boolean' || spec.enumValues || spec.translate) throw fail(name, `cannot be compared with ${op}; ${quote(key)} takes only ${key}=value`);
    if (raw.includes(',')) throw fail(name, `takes exactly one value; a comma list (OR) is only for ${key}=a,b`, raw);
  }
  const values: (string | number | boolean)[] = [];
  for (const text of op === 'eq' ? raw.split(',') : [raw]) {
    for (const value of valuesOf(name, text, spec)) if (!values.includes(value)) values.push(value);
  }
  return { path: spec.path, op, values };
}

/**
 * Translates the query string of a TMF list operation. Throws TmfQueryError (a 400 for the client)
 * naming the first bad parameter; conditions come out in parameter order.
 */
export function parseListQuery(
  params: URLSearchParams,
  catalogue: FieldCatalogue,
  paging: { defaultSize: number; maxSize: number },
  options: { cursors?: boolean } = {},
): ListQuery {
  const query: ListQuery = { fields: null, offset: 0, limit: paging.defaultSize, sort: [], conditions: [] };
  const seen = new Set<string>();
  for (const [name, raw] of params) {
    refuseOperators(name, raw);
    const cursor = options.cursors === true && cursorParameters.has(name);
    if (name === 'fields' || name === 'offset' || name === 'limit' || name === 'sort' || cursor) {
      // Which of two `limit`s (or sorts) wins would be a guess, so the client learns instead; two
      // `fields` lists have one meaning, their union.
      if (seen.has(name) && name !== 'fields') throw fail(name, 'may be given only once');
      seen.add(name);
      if (raw === '') throw fail(name, 'needs a value');
    }
    if (name === 'fields') query.fields = [...new Set([...(query.fields ?? []), ...parseFields(raw, catalogue)])];
    else if (name === 'offset') query.offset = parseInteger(name, raw, 0, Number.MAX_SAFE_INTEGER, 'must be an integer of 0 or more');
    else if (name === 'limit') query.limit = parseInteger(name, raw, 1, paging.maxSize, `must be an integer from 1 to ${paging.maxSize}`);
    else if (name === 'sort') query.sort = parseSort(raw, catalogue);
    else if (cursor) {
      // Opaque to the client and to us: the graph checks that it is one of its cursors for this sort.
      if (!/^[A-Za-z0-9_-]{1,4096}$/.test(raw)) throw fail(name, 'must be a cursor from a Link header of this list', raw);
      query[name as 'after' | 'before'] = raw;
    } else query.conditions.push(parseCondition(name, raw, catalogue));
  }
  if (query.after !== undefined && query.before !== undefined) throw fail('before', 'cannot be combined with after');
  if ((query.after ?? query.before) !== undefined && seen.has('offset'))
    throw fail('offset', 'cannot be combined with after or before: a cursor says where the page starts');
  return query;
}
