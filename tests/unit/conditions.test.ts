import { describe, expect, it } from 'vitest';
import { conditionFilters, sortPath, type PathCatalogue } from '../../subgraphs/shared/conditions.js';
import { UsageGraphError } from '../../platform/errors.js';
import { usageFilter, usageSort } from '../../subgraphs/usage/product-usage/filters.js';

const catalogue: PathCatalogue = {
  id: { stored: '_id', type: 'string', sortable: true },
  status: { stored: 'status', type: 'string', enumValues: ['rated', 'billed'], sortable: true },
  usageDate: { stored: 'usageDate', type: 'dateTime', sortable: true },
  'price.value': { stored: 'price.value', type: 'number' },
  'rated.isBilled': { stored: 'rated.isBilled', type: 'boolean' },
  'characteristic.value': { stored: 'characteristic.value', type: 'scalar' },
};

const codeOf = (run: () => unknown) => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof UsageGraphError ? error.code : String(error);
  }
};

describe('conditionFilters', () => {
  it('maps eq to $in and range operators to their own, coercing dates', () => {
    expect(
      conditionFilters(
        [
          { path: 'status', values: ['rated', 'billed'] },
          { path: 'usageDate', op: 'gte', values: ['2026-11-01T00:00:00Z'] },
          { path: 'usageDate', op: 'lt', values: ['2026-12-01T00:00:00Z'] },
          { path: 'price.value', op: 'gt', values: [1.5] },
          { path: 'rated.isBilled', values: [false] },
          { path: 'characteristic.value', values: [12, 'twelve', true] },
        ],
        catalogue,
      ),
    ).toEqual([
      { status: { $in: ['rated', 'billed'] } },
      { usageDate: { $gte: new Date('2026-11-01T00:00:00Z') } },
      { usageDate: { $lt: new Date('2026-12-01T00:00:00Z') } },
      { 'price.value': { $gt: 1.5 } },
      { 'rated.isBilled': { $in: [false] } },
      { 'characteristic.value': { $in: [12, 'twelve', true] } },
    ]);
  });

  it.each([
    [{ path: 'nope', values: ['x'] }],
    [{ path: '__proto__', values: ['x'] }],
    [{ path: 'status', values: ['paid'] }],
    [{ path: 'status', values: [{ $ne: 'x' }] }],
    [{ path: 'id', values: [{ $gt: '' }] }],
    [{ path: 'usageDate', op: 'gt' as const, values: ['yesterday'] }],
    [{ path: 'usageDate', op: 'gt' as const, values: ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'] }],
    [{ path: 'price.value', values: ['12'] }],
    [{ path: 'rated.isBilled', op: 'gt' as const, values: [true] }],
    [{ path: 'characteristic.value', values: [[1]] }],
    [{ path: 'id', values: [] }],
  ])('refuses %j as BAD_USER_INPUT', (condition) => {
    expect(codeOf(() => conditionFilters([condition], catalogue))).toBe('BAD_USER_INPUT');
  });

  it('sorts only on sortable catalogue paths', () => {
    expect(sortPath(catalogue, 'usageDate')).toBe('usageDate');
    expect(codeOf(() => sortPath(catalogue, 'price.value'))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => sortPath(catalogue, 'constructor'))).toBe('BAD_USER_INPUT');
  });
});

describe('usage filters with where and sort paths', () => {
  it('ANDs where conditions (the same path twice included) with the typed fields', () => {
    expect(
      usageFilter({
        status: ['rated'],
        where: [
          { path: 'relatedParty.partyOrPartyRole.id', values: ['p1'] },
          { path: 'usageDate', op: 'gte', values: ['2026-11-01T00:00:00Z'] },
          { path: 'usageDate', op: 'lt', values: ['2026-12-01T00:00:00Z'] },
        ],
      }),
    ).toEqual({
      status: { $in: ['rated'] },
      $and: [
        { 'relatedParty.partyOrPartyRole.id': { $in: ['p1'] } },
        { usageDate: { $gte: new Date('2026-11-01T00:00:00Z') } },
        { usageDate: { $lt: new Date('2026-12-01T00:00:00Z') } },
      ],
    });
  });

  it('sorts by field or path, never both', () => {
    expect(usageSort([{ path: 'usageSpecification.name', direction: 'DESC' }, { field: 'usageDate' }])).toEqual({
      'usageSpecification.name': -1,
      usageDate: 1,
      _id: 1,
    });
    expect(codeOf(() => usageSort([{ field: 'usageDate', path: 'usageDate' }]))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => usageSort([{}]))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => usageSort([{ path: 'relatedParty.role' }]))).toBe('BAD_USER_INPUT');
  });
});
