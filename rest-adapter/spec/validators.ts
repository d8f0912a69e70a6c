import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { applyDeviations } from './deviations.js';
import { formatsIn, toJsonSchemas } from './dialect.js';
import { specDocuments, type JsonObject, type SpecDocuments } from './load.js';
import { toProblems, type SchemaProblem } from './problems.js';

export type { SchemaProblem } from './problems.js';

/**
 * Request and response validators compiled from the TMF635 files themselves. Everything is
 * compiled when the validators are created (the adapter's start-up, or the first `validate`),
 * never per request; a schema the files lack stops start-up rather than the first request.
 */

// v5 has no ExportJob_MVO (an export job cannot be patched) and no Hub_RES: the hub response is `Hub`.
// JsonPatchOperations is the v5 body of a `application/json-patch+json` PATCH.
const v5Names = [
  'ProductUsage_FVO',
  'ProductUsage_MVO',
  'ProductUsage_RES',
  'ExportJob_FVO',
  'ExportJob_RES',
  'Hub_FVO',
  'Hub',
  'Error',
  'JsonPatchOperations',
] as const;
const v4Names = [
  'Usage_Create',
  'Usage_Update',
  'Usage',
  'UsageSpecification_Create',
  'UsageSpecification_Update',
  'UsageSpecification',
  'EventSubscriptionInput',
  'EventSubscription',
  'Error',
] as const;

export type SpecSchemaName = `v5.${(typeof v5Names)[number]}` | `v4.${(typeof v4Names)[number]}`;

export const specSchemaNames: readonly SpecSchemaName[] = [...v5Names.map((n) => `v5.${n}` as const), ...v4Names.map((n) => `v4.${n}` as const)];

/**
 * Bodies of a merge-patch (RFC 7396 §2): a `null` member deletes that member, so it is not
 * checked against the member's schema (`{"usageType": null}` is a valid patch even though
 * usageType is a string). Nulls inside arrays are values and are checked.
 */
const mergePatchBodies: ReadonlySet<SpecSchemaName> = new Set<SpecSchemaName>(['v5.ProductUsage_MVO', 'v4.Usage_Update', 'v4.UsageSpecification_Update']);

export interface SpecValidators {
  /** The compiled function for a schema: the same one on every call. */
  validator(name: SpecSchemaName): ValidateFunction;
  /** [] when `value` matches; otherwise every problem, each naming its field. */
  validate(name: SpecSchemaName, value: unknown): SchemaProblem[];
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

function withoutDeletions(value: unknown): unknown {
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === null ? [] : [[k, withoutDeletions(v)]])));
}

const documentId = { v5: 'urn:tmf635:v5', v4: 'urn:tmf635:v4' } as const;

export function createSpecValidators(documents: SpecDocuments = specDocuments()): SpecValidators {
  const ajv = new Ajv({
    // A 400 should name every problem in the body at once, not only the first one found.
    allErrors: true,
    // OpenAPI schemas put `properties`/`required` in allOf members without `type: object`
    // (Hub_FVO, Hub). That is valid JSON Schema; strictTypes would only log a warning for each
    // at start-up. The rest of strict mode stays on: an unknown keyword or format still throws.
    strictTypes: false,
  });
  // ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
  addFormats.default(ajv);

  const v5 = toJsonSchemas(documents.v5.components.schemas, '#/components/schemas/');
  const v4 = toJsonSchemas(documents.v4.definitions, '#/definitions/');
  applyDeviations('v5', v5);
  applyDeviations('v4', v4);
  // OpenAPI 3.0 (Data Types) lets a schema name a format the tool does not know, and the tool
  // then checks the type alone. v4 uses `base64`, which JSON Schema and ajv-formats lack
  // (they call it `byte`); strict ajv would refuse the schema, so unknown formats are declared
  // as unchecked annotations.
  for (const format of new Set([...formatsIn(v5), ...formatsIn(v4)])) {
    if (!ajv.formats[format]) ajv.addFormat(format, true);
  }
  // Each document is one schema with its own $id, with its schemas where the document keeps
  // them, so every `$ref` in the files resolves as written. ajv compiles the document root while
  // resolving those refs, and `components` is no JSON Schema keyword: declare it as one that
  // checks nothing, rather than turning strict mode off for everything.
  ajv.addKeyword('components');
  ajv.addSchema({ $id: documentId.v5, components: { schemas: v5 } });
  ajv.addSchema({ $id: documentId.v4, definitions: v4 });

  const compiled = new Map<SpecSchemaName, ValidateFunction>();
  for (const name of specSchemaNames) {
    const [version, schema] = name.split('.') as ['v5' | 'v4', string];
    const pointer = version === 'v5' ? '#/components/schemas/' : '#/definitions/';
    if (!(version === 'v5' ? v5 : v4)[schema]) {
      throw new Error(`TMF635 ${version} has no schema ${schema} (${documents.dir}); the adapter expects it.`);
    }
    compiled.set(name, ajv.compile({ $ref: `${documentId[version]}${pointer}${schema}` }));
  }

  const validator = (name: SpecSchemaName): ValidateFunction => {
    const fn = compiled.get(name);
    if (!fn) throw new Error(`No TMF635 schema named ${String(name)}.`);
    return fn;
  };
  return {
    validator,
    validate(name, value) {
      const fn = validator(name);
      return fn(mergePatchBodies.has(name) ? withoutDeletions(value) : value) ? [] : toProblems(fn.errors);
    },
  };
}

let shared: SpecValidators | undefined;

/** The validators over specDocuments(), created on first use; call it at start-up to fail early. */
export function specValidators(): SpecValidators {
  shared ??= createSpecValidators();
  return shared;
}

/** [] when `value` matches the named schema of the TMF635 files; otherwise every problem. */
export function validate(name: SpecSchemaName, value: unknown): SchemaProblem[] {
  return specValidators().validate(name, value);
}
