import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { productUsageV5Catalogue, usageSpecificationV4Catalogue, usageV4Catalogue } from '../../rest-adapter/catalogues.js';
import { parseListQuery, TmfQueryError, type FieldCatalogue } from '../../rest-adapter/tmf-query.js';

const paging = { defaultSize: 20, maxSize: 1000 };
const catalogues: [string, FieldCatalogue][] = [
  ['v5 productUsage', productUsageV5Catalogue],
  ['v4 usage', usageV4Catalogue],
  ['v4 usageSpecification', usageSpecificationV4Catalogue],
];

/** Parameter names: real attributes with and without operators, and what an attacker would try. */
const names = (catalogue: FieldCatalogue) =>
  fc.oneof(
    fc.constantFrom(
      ...Object.keys(catalogue),
      'fields',
      'offset',
      'limit',
      'sort',
      'filter',
      '$where',
      'status[$ne]',
      '__proto__',
      'constructor',
      'status.$gt',
    ),
    fc
      .constantFrom(...Object.keys(catalogue))
      .chain((key) => fc.constantFrom(`${key}.eq`, `${key}.gt`, `${key}.gte`, `${key}.lt`, `${key}.lte`, `${key}.ne`, `${key}.$gt`)),
    fc.string({ maxLength: 40 }),
  );
const values = fc.oneof(
  fc.constantFrom(
    '',
    '$ne',
    '{"$gt":""}',
    '["a"]',
    'null',
    'NaN',
    'Infinity',
    '-0',
    '1e999',
    '2026-02-30',
    '2026-11-24T10:00:00',
    '2026-11-24T10:00:00Z',
    'rated',
    'initialized,rated',
    'a,,b',
    'true',
  ),
  fc.string({ maxLength: 60, unit: 'binary' }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString())),
  fc.string({ minLength: 1000, maxLength: 1100 }),
);

describe.each(catalogues)('the TMF list query parser on %s, with hostile parameters', (_name, catalogue) => {
  const specPaths = new Set(Object.values(catalogue).map((spec) => spec.path));

  it('either refuses with a TmfQueryError or yields only catalogue paths and plain, typed values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(names(catalogue), values), { maxLength: 8 }), (pairs) => {
        let query;
        try {
          query = parseListQuery(new URLSearchParams(pairs), catalogue, paging);
        } catch (error) {
          expect(error).toBeInstanceOf(TmfQueryError);
          expect((error as TmfQueryError).message.length).toBeLessThan(600);
          return;
        }
        expect(Number.isSafeInteger(query.offset) && query.offset >= 0).toBe(true);
        expect(query.limit >= 1 && query.limit <= paging.maxSize).toBe(true);
        for (const { path } of query.sort) expect(specPaths.has(path)).toBe(true);
        for (const condition of query.conditions) {
          expect(specPaths.has(condition.path)).toBe(true);
          expect(['eq', 'gt', 'gte', 'lt', 'lte']).toContain(condition.op);
          expect(condition.values.length).toBeGreaterThan(0);
          for (const value of condition.values) {
            expect(['string', 'number', 'boolean']).toContain(typeof value);
            if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
            if (typeof value === 'string') {
              expect(value.startsWith('$')).toBe(false);
              expect(/\p{Cc}/u.test(value)).toBe(false);
            }
          }
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
