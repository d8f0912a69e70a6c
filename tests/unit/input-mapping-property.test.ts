import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TmfError } from '../../rest-adapter/errors.js';
import { productUsageFromV5 } from '../../rest-adapter/mapping/product-usage-v5.js';
import { specificationFromV4 } from '../../rest-adapter/mapping/usage-specification-v4.js';
import { usageFromV4 } from '../../rest-adapter/mapping/usage-v4.js';
import { validate, type SpecSchemaName } from '../../rest-adapter/spec/validators.js';
import { conditionFilters } from '../../subgraphs/shared/conditions.js';
import { UsageGraphError } from '../../platform/errors.js';
import { checkJsonValue } from '../../subgraphs/shared/scalars.js';
import { usageCatalogue } from '../../subgraphs/usage/product-usage/filters.js';

const key = fc.oneof(fc.constantFrom('$where', '$gt', '$ne', 'a.b', '__proto__', 'constructor', '\u0000', '@type', 'id', 'value'), fc.string({ maxLength: 6 }));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, 'x', '', '$where', '2026-02-30', 'NaN'),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 12 }),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('object'),
  ),
  object: fc
    .array(fc.tuple(key, tie('value')), { maxLength: 4 })
    .map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`)),
})).value;

/** Keys MongoDB would read as operators or paths, anywhere in a value. */
const operatorKey = (value: unknown): boolean =>
  value !== null &&
  typeof value === 'object' &&
  Object.entries(value).some(([k, v]) => k.startsWith('$') || k.includes('.') || k === '__proto__' || operatorKey(v));

/** Near-valid bodies: a real body with one attribute replaced by something hostile. */
const v5Body = fc
  .record({
    attribute: fc.constantFrom(
      'usageType',
      'status',
      'usageCharacteristic',
      'relatedParty',
      'product',
      'usageSpecification',
      '@type',
      'description',
      'externalIdentifier',
      'usageProductPrice',
    ),
    value: json,
  })
  .map(({ attribute, value }) => ({
    '@type': 'ProductUsage',
    usageType: 'voice',
    usageCharacteristic: [{ '@type': 'IntegerCharacteristic', name: 'duration', valueType: 'integer', value: 1 }],
    relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: 'p' } }],
    [attribute]: value,
  }));

const mappings: [string, SpecSchemaName, (body: Record<string, unknown>) => unknown, fc.Arbitrary<unknown>][] = [
  ['v5 ProductUsage', 'v5.ProductUsage_FVO', productUsageFromV5, fc.oneof(v5Body, json)],
  ['v4 Usage', 'v4.Usage_Create', usageFromV4, json],
  ['v4 UsageSpecification', 'v4.UsageSpecification_Create', specificationFromV4, json],
];

describe.each(mappings)('TMF %s body -> graph input, on hostile bodies', (_name, schema, map, bodies) => {
  it('maps every body its schema accepts without crashing, or refuses it with a TMF 400', () => {
    fc.assert(
      fc.property(bodies, (body) => {
        if (validate(schema, body).length > 0) return;
        try {
          map(body as Record<string, unknown>);
        } catch (error) {
          expect(error).toBeInstanceOf(TmfError);
          expect((error as TmfError).status).toBe(400);
        }
      }),
      { numRuns: 1_500 },
    );
  });
});

describe('graph input checks, on hostile values', () => {
  it('the JSON scalar (characteristic values) refuses operator keys, NaN and deep nesting; what it keeps is plain data', () => {
    fc.assert(
      fc.property(fc.oneof(json, fc.constantFrom(Number.NaN, Infinity, -Infinity)), (value) => {
        try {
          const kept = checkJsonValue(value);
          expect(operatorKey(kept)).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageGraphError);
          expect((error as UsageGraphError).code).toBe('BAD_USER_INPUT');
        }
      }),
      { numRuns: 3_000 },
    );
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(() => checkJsonValue(deep)).toThrow(/nested deeper/);
  });

  it('generic `where` conditions: only catalogue paths, only $in or one comparison, and values that are never documents', () => {
    const path = fc.oneof(fc.constantFrom(...Object.keys(usageCatalogue), '$where', 'status.$ne', '__proto__'), fc.string({ maxLength: 10 }));
    const condition = fc.record({ path, op: fc.constantFrom('eq', 'gt', 'gte', 'lt', 'lte', null, undefined), values: fc.array(json, { maxLength: 3 }) });
    const storedPaths = new Set(Object.values(usageCatalogue).map((spec) => spec.stored));
    fc.assert(
      fc.property(fc.array(condition, { maxLength: 4 }), (conditions) => {
        let filters;
        try {
          filters = conditionFilters(conditions, usageCatalogue);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageGraphError);
          expect((error as UsageGraphError).code).toBe('BAD_USER_INPUT');
          return;
        }
        for (const filter of filters) {
          const [[stored, clause]] = Object.entries(filter) as [[string, Record<string, unknown>]];
          expect(storedPaths.has(stored)).toBe(true);
          const [operator, operand] = Object.entries(clause)[0]!;
          expect(['$in', '$gt', '$gte', '$lt', '$lte']).toContain(operator);
          for (const value of operator === '$in' ? (operand as unknown[]) : [operand]) {
            expect(value === null || ['string', 'number', 'boolean'].includes(typeof value) || value instanceof Date).toBe(true);
          }
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
