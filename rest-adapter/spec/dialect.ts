import type { JsonObject } from './load.js';

/**
 * OpenAPI 3.0 and Swagger 2.0 Schema Objects are JSON Schema plus a dialect that ajv does not
 * read. This turns a document's named schemas into plain JSON Schema (draft-07, ajv's default)
 * with the same meaning, so the validators use the files' own schemas rather than copies:
 *
 * - `$ref` siblings are dropped: OpenAPI 3.0 §4.7.24 and Swagger 2.0 say a Reference Object
 *   replaces its whole object (TMF puts `description` next to `$ref`).
 * - `example`, `xml`, `externalDocs` and `x-*` are annotations JSON Schema does not define;
 *   ajv's strict mode rejects unknown keywords, and they validate nothing, so they go.
 * - `nullable` stays (ajv implements it) except where there is no `type`: OpenAPI 3.0.3 says it
 *   then has no effect, while ajv would refuse the schema.
 * - `discriminator` is translated, not just dropped: see `dispatch` below.
 * - `readOnly`/`writeOnly` stay as annotations (ajv knows them); none is `required` in TMF635, so
 *   the OpenAPI rule "required applies to responses only" never comes up.
 */

type Schema = JsonObject;

export class SpecDialectError extends Error {
  override name = 'SpecDialectError';
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

// Where a Schema Object holds subschemas; everything else is a keyword with a plain value (enum
// values, defaults, property names in `required`) and is copied untouched.
const oneSchema = new Set(['items', 'additionalProperties', 'not']);
const schemaList = new Set(['allOf', 'anyOf', 'oneOf']);
const schemaMap = new Set(['properties', 'patternProperties', 'definitions']);
const openApiOnly = new Set(['example', 'xml', 'externalDocs', 'discriminator']);

const mapValues = (value: unknown, f: (v: unknown) => unknown) => Object.fromEntries(Object.entries(isObject(value) ? value : {}).map(([k, v]) => [k, f(v)]));

/** One Schema Object as JSON Schema, without its discriminator (a fresh copy: the input is frozen). */
function plain(schema: unknown): unknown {
  if (!isObject(schema)) return schema; // `additionalProperties: true` and the like
  if (typeof schema.$ref === 'string') return { $ref: schema.$ref };
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (openApiOnly.has(key) || key.startsWith('x-')) continue;
    if (key === 'nullable' && !('type' in schema)) continue;
    if (oneSchema.has(key)) out[key] = Array.isArray(value) ? value.map(plain) : plain(value);
    else if (schemaList.has(key)) out[key] = (value as unknown[]).map(plain);
    else if (schemaMap.has(key)) out[key] = mapValues(value, plain);
    else out[key] = value;
  }
  return out;
}

/** Every `format` the schemas name, so the caller can tell ajv about the ones it does not know. */
export function formatsIn(schemas: Record<string, Schema>): Set<string> {
  const found = new Set<string>();
  const walk = (schema: unknown): void => {
    if (!isObject(schema)) return;
    if (typeof schema.format === 'string') found.add(schema.format);
    for (const [key, value] of Object.entries(schema)) {
      if (oneSchema.has(key)) (Array.isArray(value) ? value : [value]).forEach(walk);
      else if (schemaList.has(key)) (value as unknown[]).forEach(walk);
      else if (schemaMap.has(key) && isObject(value)) Object.values(value).forEach(walk);
    }
  };
  Object.values(schemas).forEach(walk);
  return found;
}

const allOfRefs = (schema: Schema): string[] =>
  (Array.isArray(schema.allOf) ? schema.allOf : []).flatMap((s) => (isObject(s) && typeof s.$ref === 'string' ? [s.$ref] : []));

/**
 * A document's `components.schemas` (refPrefix `#/components/schemas/`) or `definitions`
 * (`#/definitions/`) as JSON Schema, under the same names, so `$ref`s into the document keep
 * working unchanged.
 *
 * Why discriminators are translated here rather than left to ajv: ajv's `discriminator: true`
 * option only accepts `oneOf` whose branches each pin the property with `const`/`enum`, and no
 * `mapping` (https://ajv.js.org/json-schema.html#discriminator). TMF635 v5 has 31 discriminators,
 * all with `mapping`, and 30 of them describe inheritance (`Characteristic` maps
 * `StringCharacteristic` to a schema that is `allOf: [Characteristic, ...]`), which ajv cannot
 * express. Dropping them would accept `{"@type": "IntegerCharacteristic", "value": "ten"}`, since
 * the base `Characteristic` says nothing about `value`. So each mapping becomes
 * `if @type is X then X's schema` (OpenAPI 3.0 §4.7.25: the value names the schema to validate
 * against). A value outside the mapping keeps the base schema only: TMF's `@type` is open to
 * extension (with `@schemaLocation`).
 *
 * - Inheritance: the schema's own content moves to `<name>@base` (`@` cannot occur in an
 *   OpenAPI component name, so no clash), `<name>` becomes "base, then dispatch", and each mapped
 *   subtype's `allOf` points at the base; without that, subtype → base → dispatch → subtype
 *   would never end. Entries that map to the schema itself or to one of its own allOf parents
 *   (`ProductUsage_RES` maps `ProductUsage` to `ProductUsage`) add nothing and are skipped.
 * - `oneOf` (only `PartyRefOrPartyRoleRef`): when the mapping names exactly the branches, the
 *   `oneOf` becomes "`@type` is one of the mapping's values, then dispatch". It accepts the same
 *   bodies (each branch already pins `@type`), but a wrong body gets the one branch's errors
 *   instead of every branch's plus "must match exactly one schema in oneOf".
 * - Swagger 2.0's `discriminator` is a bare property name with no mapping: nothing to dispatch
 *   on, so it is only removed (TMF635 v4 has none).
 */
export function toJsonSchemas(schemas: Record<string, Schema>, refPrefix: string): Record<string, Schema> {
  // Content objects keep their identity when a schema moves to `<name>@base`, so a later rewrite
  // of a subtype's allOf always lands in the subtype's content, wherever it then lives.
  const content = Object.fromEntries(Object.entries(schemas).map(([name, s]) => [name, plain(s) as Schema]));
  const out: Record<string, Schema> = { ...content };
  const nameOf = (ref: string) => (ref.startsWith(refPrefix) ? ref.slice(refPrefix.length) : undefined);

  for (const [name, schema] of Object.entries(schemas)) {
    const discriminator = schema.discriminator;
    if (!isObject(discriminator) || typeof discriminator.propertyName !== 'string' || !isObject(discriminator.mapping)) continue;
    const property = discriminator.propertyName;
    const cases = Object.entries(discriminator.mapping).map(([value, ref]) => {
      const target = typeof ref === 'string' ? nameOf(ref) : undefined;
      if (!target || !(target in schemas)) {
        throw new SpecDialectError(`The discriminator of ${name} maps "${value}" to ${String(ref)}, which is not a schema of the document.`);
      }
      return { value, target };
    });
    const dispatch = (list: typeof cases) =>
      list.map(({ value, target }) => ({
        if: { properties: { [property]: { const: value } }, required: [property] },
        then: { $ref: refPrefix + target },
      }));
    const own = content[name]!;

    if (Array.isArray(schema.oneOf)) {
      const branches = schema.oneOf.map((b) => (isObject(b) && typeof b.$ref === 'string' ? nameOf(b.$ref) : undefined));
      const targets = new Set(cases.map((c) => c.target));
      const sameSet = branches.every((b) => b !== undefined && targets.has(b)) && targets.size === new Set(branches).size;
      if (sameSet) {
        delete own.oneOf;
        own.allOf = [
          ...(Array.isArray(own.allOf) ? (own.allOf as unknown[]) : []),
          { properties: { [property]: { enum: cases.map((c) => c.value) } }, required: [property] },
          ...dispatch(cases),
        ];
      }
      continue; // otherwise the oneOf stands as written: each branch has to tell itself apart
    }

    const parents = new Set(allOfRefs(schema));
    const subtypes = cases.filter((c) => c.target !== name && !parents.has(refPrefix + c.target));
    if (!subtypes.length) continue;
    const base = `${name}@base`;
    out[base] = own;
    out[name] = { allOf: [{ $ref: refPrefix + base }, ...dispatch(subtypes)] };
    for (const { target } of subtypes) {
      const sub = content[target]!;
      if (!allOfRefs(sub).includes(refPrefix + name)) {
        // Dispatching to a schema that reaches this one other than through its own allOf would
        // loop at validation time; fail at start-up instead.
        throw new SpecDialectError(`The discriminator of ${name} maps to ${target}, which is not a direct allOf subtype of it.`);
      }
      sub.allOf = (sub.allOf as unknown[]).map((s) => (isObject(s) && s.$ref === refPrefix + name ? { $ref: refPrefix + base } : s));
    }
  }
  return out;
}
