/**
 * TMF630 attribute selection (`?fields=`) applied to one response resource. The translator in
 * tmf-query.ts checks the names against the resource's catalogue; this module only shapes the body.
 */

/**
 * Kept on the resource whatever `fields` says: a client must still be able to identify the resource
 * (id, href) and tell which polymorphic shape it holds (TMF630 "Extensible" attributes).
 */
export const alwaysKept: readonly string[] = ['id', 'href', '@type', '@baseType', '@schemaLocation'];

/**
 * Inside a nested object only the shape markers are kept: `relatedParty.role` answers each party's
 * role and its @type, not the party's id, which the client did not ask for (it can ask `relatedParty.id`).
 */
const keptInNested: readonly string[] = ['@type', '@baseType', '@schemaLocation'];

/** `true` selects an attribute whole; a nested selection picks attributes inside it. */
type Selection = Map<string, Selection | true>;

const absent = Symbol('absent');

function selectionOf(fields: readonly string[]): Selection {
  const root: Selection = new Map();
  for (const field of fields) {
    const segments = field.split('.');
    let node = root;
    for (const [index, segment] of segments.entries()) {
      const existing = node.get(segment);
      // Selecting `relatedParty` whole already covers `relatedParty.role`, in either order.
      if (existing === true) break;
      if (index === segments.length - 1) {
        node.set(segment, true);
        break;
      }
      const child: Selection = existing ?? new Map<string, Selection | true>();
      node.set(segment, child);
      node = child;
    }
  }
  return root;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// A JSON body may carry an own "__proto__" key; plain assignment would set the prototype instead.
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function projectObject(source: Record<string, unknown>, selection: Selection, kept: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Walking the source's keys (not the selection's) keeps the original key order.
  for (const key of Object.keys(source)) {
    const chosen = selection.get(key);
    if (chosen === true || kept.includes(key)) define(out, key, source[key]);
    else if (chosen !== undefined) {
      const inner = projectNested(source[key], chosen);
      if (inner !== absent) define(out, key, inner);
    }
  }
  return out;
}

/**
 * A dotted selection reaches through objects and through every element of arrays (as TMF630 and
 * MongoDB paths do). Objects stay present even when none of the selected attributes is, so array
 * positions survive; values that cannot hold attributes (strings, numbers, null) are dropped.
 */
function projectNested(value: unknown, selection: Selection): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const element of value) {
      const inner = projectNested(element, selection);
      if (inner !== absent) out.push(inner);
    }
    return out;
  }
  if (isPlainObject(value)) return projectObject(value, selection, keptInNested);
  return absent;
}

/**
 * TMF `fields` projection on a response object: keeps only the listed attributes (dotted paths select
 * nested attributes inside objects and arrays of objects), and always keeps id, href, @type
 * (and @baseType, @schemaLocation) when present. `null` keeps everything.
 *
 * The input is never mutated; the output is a new object whose selected values may share nested
 * objects with the input, so treat both as read-only. The result is idempotent:
 * projecting it again with the same fields changes nothing.
 */
export function projectFields<T extends Record<string, unknown>>(resource: T, fields: readonly string[] | null): Partial<T> {
  if (fields === null) return { ...resource };
  return projectObject(resource, selectionOf(fields), alwaysKept) as Partial<T>;
}
