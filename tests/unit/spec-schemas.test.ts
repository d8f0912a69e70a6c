import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { badRequest } from '../../rest-adapter/errors.js';
import { readSpecDocuments, specDir, specDocuments, SpecLoadError } from '../../rest-adapter/spec/load.js';
import { servedOpenApi } from '../../rest-adapter/spec/openapi.js';
import { createSpecValidators, specSchemaNames, specValidators, validate, type SpecSchemaName } from '../../rest-adapter/spec/validators.js';

type Json = Record<string, any>;

const samples = path.join(specDir(), 'v4/samples');
const sample = (file: string): unknown => JSON.parse(readFileSync(path.join(samples, file), 'utf8'));

const base = 'https://usage.example.com/tmf-api/productUsageManagement/v5';

/** What the v5 facade answers for one usage: every reference kind, PartyRef and PartyRoleRef. */
const productUsageRes = (): Json => ({
  '@type': 'ProductUsage',
  id: 'pu-1',
  href: `${base}/productUsage/pu-1`,
  creationDate: '2026-11-24T10:00:00Z',
  status: 'rated',
  usageType: 'data',
  usageCharacteristic: [
    { '@type': 'IntegerCharacteristic', name: 'volume', valueType: 'integer', value: 1048576 },
    { '@type': 'StringCharacteristic', name: 'apn', value: 'internet' },
    { '@type': 'FloatCharacteristic', name: 'durationHours', value: 1.5 },
  ],
  relatedParty: [
    {
      '@type': 'RelatedPartyRefOrPartyRoleRef',
      role: 'customer',
      partyOrPartyRole: { '@type': 'PartyRef', '@referredType': 'Individual', id: 'party-1', href: 'https://crm.example.com/party/party-1', name: 'Ada' },
    },
    {
      '@type': 'RelatedPartyRefOrPartyRoleRef',
      role: 'reseller',
      partyOrPartyRole: { '@type': 'PartyRoleRef', '@referredType': 'PartyRole', id: 'role-7', partyId: 'party-9', partyName: 'Acme' },
    },
  ],
  usageSpecification: {
    '@type': 'ProductUsageSpecificationRef',
    '@referredType': 'ProductUsageSpecification',
    id: 'spec-1',
    name: 'Data session',
    version: '1',
  },
  product: { '@type': 'ProductRef', '@referredType': 'Product', id: 'product-1', name: 'Mobile 10 GB' },
});

const productUsageCreate = (): Json => {
  const { id: _id, href: _href, creationDate: _c, status: _s, ...body } = productUsageRes();
  return body;
};

describe('TMF635 v4 bodies', () => {
  it.each([
    ['Usage.example.json', 'v4.Usage'],
    ['UsageSpecification.example.json', 'v4.UsageSpecification'],
    ['UsageSpecification.example.1.json', 'v4.UsageSpecification'],
  ] as const)('sample %s matches %s', (file, schema) => {
    expect(validate(schema, sample(file))).toEqual([]);
  });

  it('accepts the exact bodies the official v4 conformance kit creates', () => {
    expect(validate('v4.UsageSpecification_Create', { name: 'x' })).toEqual([]);
    expect(validate('v4.Usage_Create', { usageSpecification: { id: 'x' } })).toEqual([]);
  });

  it('keeps the configurable deviation to the two strings a sample sends', () => {
    const withConfigurable = (configurable: unknown) => ({ name: 'x', specCharacteristic: [{ name: 'c', configurable }] });
    expect(validate('v4.UsageSpecification_Create', withConfigurable(true))).toEqual([]);
    expect(validate('v4.UsageSpecification_Create', withConfigurable('false'))).toEqual([]);
    expect(validate('v4.UsageSpecification_Create', withConfigurable('yes'))).toEqual([
      {
        field: '/specCharacteristic/0/configurable',
        message: 'specCharacteristic[0].configurable: must be equal to one of the allowed values: true, false, "true", "false"',
      },
    ]);
  });

  it('names the field of a missing reference id, a wrong enum and a wrong type', () => {
    expect(validate('v4.Usage_Create', { usageSpecification: {}, status: 'done', usageDate: 'yesterday', relatedParty: [{ id: 'p' }] })).toEqual([
      { field: '/usageDate', message: 'usageDate: must match format "date-time"' },
      { field: '/relatedParty/0/@referredType', message: "relatedParty[0]: must have required property '@referredType'" },
      {
        field: '/status',
        message: 'status: must be equal to one of the allowed values: "received", "rejected", "recycled", "guided", "rated", "rerated", "billed"',
      },
      { field: '/usageSpecification/id', message: "usageSpecification: must have required property 'id'" },
    ]);
  });

  it('checks hub and error bodies', () => {
    expect(validate('v4.EventSubscriptionInput', { callback: 'http://listener.example.com/hook' })).toEqual([]);
    expect(validate('v4.EventSubscriptionInput', {})).toEqual([{ field: '/callback', message: "must have required property 'callback'" }]);
    expect(validate('v4.EventSubscription', { id: 'h1', callback: 'http://listener.example.com/hook' })).toEqual([]);
    expect(validate('v4.Error', badRequest('usageType: must be string').body())).toEqual([]);
  });

  it('leaves formats no validator knows unchecked instead of failing (v4 base64)', () => {
    expect(validate('v4.UsageSpecification_Create', { name: 'x', attachment: [{ content: 'not base64 at all!' }] })).toEqual([]);
  });
});

describe('TMF635 v5 bodies', () => {
  it('every example in the v5 file matches the schema it illustrates', () => {
    const v5 = specDocuments().v5 as Json;
    const examples = v5.components.examples as Json;
    const checked: string[] = [];
    for (const section of ['requestBodies', 'responses'] as const) {
      for (const [name, item] of Object.entries<Json>(v5.components[section])) {
        for (const media of Object.values<Json>(item.content ?? {})) {
          const ref: string | undefined = media.schema?.$ref ?? media.schema?.items?.$ref;
          const schema = `v5.${ref?.split('/').pop()}` as SpecSchemaName;
          if (!specSchemaNames.includes(schema)) continue; // listener events: not served
          for (const [exampleName, example] of Object.entries<Json>(media.examples ?? {})) {
            const value = example.$ref ? examples[String(example.$ref).split('/').pop()!].value : example.value;
            for (const body of media.schema.$ref ? [value] : value) {
              checked.push(`${section}/${name} ${exampleName} as ${schema}`);
              expect({ example: checked.at(-1), problems: validate(schema, body) }).toEqual({ example: checked.at(-1), problems: [] });
            }
          }
        }
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(25);
  });

  it('accepts a full ProductUsage response with a PartyRef and a PartyRoleRef', () => {
    expect(validate('v5.ProductUsage_RES', productUsageRes())).toEqual([]);
    expect(validate('v5.ProductUsage_FVO', productUsageCreate())).toEqual([]);
  });

  it.each(['usageSpecification', 'product'])('refuses a create without %s, naming it', (field) => {
    const body = productUsageCreate();
    delete body[field];
    expect(validate('v5.ProductUsage_FVO', body)).toEqual([{ field: `/${field}`, message: `must have required property '${field}'` }]);
  });

  it('names nested missing ids and a missing @type', () => {
    const body = { ...productUsageCreate(), usageSpecification: { '@type': 'ProductUsageSpecificationRef' }, product: { id: 'p' } };
    expect(validate('v5.ProductUsage_FVO', body)).toEqual([
      { field: '/product/@type', message: "product: must have required property '@type'" },
      { field: '/usageSpecification/id', message: "usageSpecification: must have required property 'id'" },
    ]);
  });

  it('refuses a status outside the v5 enumeration', () => {
    const statuses = '"initialized", "rejected", "validated", "rated", "corrected", "superseded", "notRated", "failed"';
    const problem = { field: '/status', message: `status: must be equal to one of the allowed values: ${statuses}` };
    expect(validate('v5.ProductUsage_RES', { ...productUsageRes(), status: 'billed' })).toEqual([problem]);
    expect(validate('v5.ProductUsage_MVO', { '@type': 'ProductUsage', status: 'billed' })).toEqual([problem]);
  });

  it('refuses wrong types, naming the field', () => {
    expect(validate('v5.ProductUsage_FVO', { ...productUsageCreate(), usageType: 42, relatedParty: {} })).toEqual([
      { field: '/usageType', message: 'usageType: must be string' },
      { field: '/relatedParty', message: 'relatedParty: must be array' },
    ]);
    expect(validate('v5.ProductUsage_RES', { ...productUsageRes(), creationDate: '24/11/2026' })).toEqual([
      { field: '/creationDate', message: 'creationDate: must match format "date-time"' },
    ]);
    expect(validate('v5.ProductUsage_FVO', [])).toEqual([{ field: '', message: 'must be object' }]);
  });

  it('checks a characteristic value against the subclass its @type names', () => {
    const withCharacteristic = (c: Json) => ({ ...productUsageCreate(), usageCharacteristic: [c] });
    expect(validate('v5.ProductUsage_FVO', withCharacteristic({ '@type': 'IntegerCharacteristic', name: 'n', value: 'ten' }))).toEqual([
      { field: '/usageCharacteristic/0/value', message: 'usageCharacteristic[0].value: must be integer' },
    ]);
    // The _FVO subclasses require a value; the base Characteristic_FVO does not.
    expect(validate('v5.ProductUsage_FVO', withCharacteristic({ '@type': 'StringCharacteristic', name: 'n' }))).toEqual([
      { field: '/usageCharacteristic/0/value', message: "usageCharacteristic[0]: must have required property 'value'" },
    ]);
    expect(validate('v5.ProductUsage_FVO', withCharacteristic({ '@type': 'Characteristic', name: 'n' }))).toEqual([]);
    // @type is open to extension: an unmapped subclass is checked against the base only.
    expect(validate('v5.ProductUsage_FVO', withCharacteristic({ '@type': 'GeoCharacteristic', name: 'n', value: { lat: 1 } }))).toEqual([]);
  });

  it('tells PartyRef from PartyRoleRef by @type and reports one branch only', () => {
    const withParty = (partyOrPartyRole: Json) => ({
      ...productUsageCreate(),
      relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole }],
    });
    expect(validate('v5.ProductUsage_FVO', withParty({ '@type': 'Individual', id: 'p' }))).toEqual([
      {
        field: '/relatedParty/0/partyOrPartyRole/@type',
        message: 'relatedParty[0].partyOrPartyRole.@type: must be equal to one of the allowed values: "PartyRef", "PartyRoleRef"',
      },
    ]);
    expect(validate('v5.ProductUsage_FVO', withParty({ '@type': 'PartyRoleRef', partyId: 7 }))).toEqual([
      { field: '/relatedParty/0/partyOrPartyRole/id', message: "relatedParty[0].partyOrPartyRole: must have required property 'id'" },
      { field: '/relatedParty/0/partyOrPartyRole/partyId', message: 'relatedParty[0].partyOrPartyRole.partyId: must be string' },
    ]);
  });

  it('reads a merge-patch null as a deletion, everywhere but inside arrays', () => {
    expect(validate('v5.ProductUsage_MVO', { '@type': 'ProductUsage', usageType: null, product: { '@type': 'ProductRef', id: 'p', name: null } })).toEqual([]);
    expect(validate('v4.Usage_Update', { description: null })).toEqual([]);
    expect(validate('v5.ProductUsage_MVO', { '@type': 'ProductUsage', usageCharacteristic: [null] })).toEqual([
      { field: '/usageCharacteristic/0', message: 'usageCharacteristic[0]: must be object' },
    ]);
    // A create body is no patch: null is just a wrong type there.
    expect(validate('v5.ProductUsage_FVO', { ...productUsageCreate(), usageType: null })).toEqual([
      { field: '/usageType', message: 'usageType: must be string' },
    ]);
  });

  it('checks export jobs, hubs, JSON Patch and the error body the facade sends', () => {
    expect(validate('v5.ExportJob_FVO', { '@type': 'ExportJob', path: '/productUsage', url: 'sftp://host/dir/file.gz' })).toEqual([]);
    expect(validate('v5.ExportJob_RES', { '@type': 'ExportJob', id: 'e', href: `${base}/exportJob/e`, status: 'Done' })).toEqual([
      { field: '/status', message: 'status: must be equal to one of the allowed values: "Not Started", "Running", "Succeeded", "Failed"' },
    ]);
    expect(validate('v5.Hub_FVO', { '@type': 'Hub', callback: 'https://listener.example.com/hook' })).toEqual([]);
    expect(validate('v5.Hub', { '@type': 'Hub', id: 'h1', callback: 'https://listener.example.com/hook' })).toEqual([]);
    expect(validate('v5.Hub_FVO', { '@type': 'Hub' })).toEqual([{ field: '/callback', message: "must have required property 'callback'" }]);
    expect(validate('v5.JsonPatchOperations', [{ op: 'replace', path: '/status', value: 'rated' }])).toEqual([]);
    expect(validate('v5.JsonPatchOperations', [{ op: 'merge', path: '/status' }])).toEqual([
      { field: '/0/op', message: '[0].op: must be equal to one of the allowed values: "add", "remove", "replace", "move", "copy", "test"' },
    ]);
    expect(validate('v5.Error', badRequest('usageType: must be string').body())).toEqual([]);
  });

  it('never throws, and words every problem with a JSON pointer to a field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...specSchemaNames), fc.jsonValue(), (name, value) => {
        for (const problem of validate(name, value)) {
          expect(problem.field).toMatch(/^(\/[^/]*)*$/);
          expect(problem.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('compilation', () => {
  afterEach(() => vi.restoreAllMocks());

  it('compiles every schema when the validators are created and never again', () => {
    const compile = vi.spyOn(Ajv.prototype, 'compile');
    const validators = createSpecValidators();
    expect(compile).toHaveBeenCalledTimes(specSchemaNames.length);
    compile.mockClear();
    for (let i = 0; i < 3; i++) {
      for (const name of specSchemaNames) validators.validate(name, { '@type': 'x' });
    }
    expect(compile).not.toHaveBeenCalled();
    expect(validators.validator('v5.ProductUsage_FVO')).toBe(validators.validator('v5.ProductUsage_FVO'));
  });

  it('shares one set of validators behind validate()', () => {
    expect(specValidators()).toBe(specValidators());
    const compile = vi.spyOn(Ajv.prototype, 'compile');
    validate('v5.ProductUsage_FVO', {});
    validate('v4.Usage_Create', {});
    expect(compile).not.toHaveBeenCalled();
  });
});

describe('specification files', () => {
  it('are the copies inside the project unless TMF635_SPEC_DIR says otherwise', () => {
    expect(specDir({})).toBe(path.resolve(import.meta.dirname, '../../rest-adapter/spec/tmf635'));
    expect(specDir({ TMF635_SPEC_DIR: '/srv/tmf635' })).toBe('/srv/tmf635');
  });

  it('name the variable when they cannot be read', () => {
    expect(() => readSpecDocuments('/nonexistent/tmf635')).toThrow(SpecLoadError);
    expect(() => readSpecDocuments('/nonexistent/tmf635')).toThrow(/TMF635_SPEC_DIR/);
  });

  it('are shared read-only', () => {
    expect(specDocuments()).toBe(specDocuments());
    expect(Object.isFrozen(specDocuments().v5.components.schemas)).toBe(true);
  });
});

describe('servedOpenApi', () => {
  const refsIn = (node: unknown): string[] =>
    Array.isArray(node)
      ? node.flatMap(refsIn)
      : node && typeof node === 'object'
        ? Object.entries(node).flatMap(([k, v]) => (k === '$ref' ? [v as string] : k === 'mapping' ? Object.values(v as Json).map(String) : refsIn(v)))
        : [];
  const resolves = (doc: Json, ref: string) =>
    ref
      .slice(2)
      .split('/')
      .reduce<any>((node, part) => node?.[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')], doc) !== undefined;

  it('publishes the v5 paths we serve at our URL, with every component they use and no other', () => {
    const doc = servedOpenApi('v5', {
      paths: ['/productUsage', '/productUsage/{id}'],
      serverUrl: 'http://localhost:8080/tmf-api/productUsageManagement/v5',
    }) as Json;
    expect(doc.openapi).toBe('3.0.1');
    expect(Object.keys(doc.paths)).toEqual(['/productUsage', '/productUsage/{id}']);
    expect(Object.keys(doc.paths['/productUsage/{id}'])).toEqual(['get', 'patch', 'delete']);
    expect(doc.servers).toEqual([{ url: 'http://localhost:8080/tmf-api/productUsageManagement/v5' }]);
    expect(doc.tags.map((t: Json) => t.name)).toEqual(['productUsage']);
    const refs = refsIn(doc);
    expect(refs.filter((ref) => !resolves(doc, ref))).toEqual([]);
    // Discriminator mappings reach the Characteristic subclasses; export jobs and hubs are gone.
    expect(doc.components.schemas).toHaveProperty('IntegerCharacteristic_FVO');
    expect(doc.components.schemas).not.toHaveProperty('ExportJob');
    expect(doc.components.schemas).not.toHaveProperty('Hub_FVO');
    expect(doc.components.requestBodies).not.toHaveProperty('ExportJob_FVO');
    for (const [section, entries] of Object.entries<Json>(doc.components)) {
      if (section === 'securitySchemes') continue;
      for (const name of Object.keys(entries)) expect(refs).toContain(`#/components/${section}/${name}`);
    }
  });

  it('publishes v4 with host, basePath and schemes, and only the methods named', () => {
    const doc = servedOpenApi('v4', {
      paths: ['/usage', '/usage/{id}'],
      serverUrl: 'https://api.example.com:8443/tmf-api/usageManagement/v4/',
      methods: { '/usage/{id}': ['GET', 'PATCH'] },
    }) as Json;
    expect(doc.swagger).toBe('2.0');
    expect([doc.schemes, doc.host, doc.basePath]).toEqual([['https'], 'api.example.com:8443', '/tmf-api/usageManagement/v4']);
    expect(Object.keys(doc.paths)).toEqual(['/usage', '/usage/{id}']);
    expect(Object.keys(doc.paths['/usage/{id}'])).toEqual(['get', 'patch']);
    expect(refsIn(doc).filter((ref) => !resolves(doc, ref))).toEqual([]);
    expect(doc.definitions).toHaveProperty('Usage_Create');
    expect(doc.definitions).not.toHaveProperty('UsageSpecification');
    expect(doc.definitions).not.toHaveProperty('EventSubscription');
  });

  it('refuses a path or method the specification does not have, and leaves the files untouched', () => {
    expect(() => servedOpenApi('v5', { paths: ['/usage'], serverUrl: 'http://localhost' })).toThrow(/no path \/usage/);
    expect(() => servedOpenApi('v4', { paths: ['/hub'], serverUrl: 'http://localhost', methods: { '/hub': ['GET'] } })).toThrow(/no GET on \/hub/);
    expect(Object.keys(specDocuments().v5.paths)).toContain('/exportJob');
    expect(specDocuments().v4.host).toBe('serverRoot');
  });
});
