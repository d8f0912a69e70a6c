import { describe, expect, it } from 'vitest';
import { UsageGraphError } from '../../platform/errors.js';
import { anyOf, page, patchUpdate, sortBy, within } from '../../subgraphs/shared/query.js';

const paging = { defaultSize: 20, maxSize: 100 };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof UsageGraphError ? error.code : 'not a UsageGraphError';
  }
  return undefined;
}

describe('page', () => {
  it('defaults the size and keeps a valid window', () => {
    expect(page(undefined, undefined, paging)).toEqual({ skip: 0, limit: 20 });
    expect(page(40, 100, paging)).toEqual({ skip: 40, limit: 100 });
  });

  it.each([
    [-1, 10],
    [0, 0],
    [0, 101],
    [0, -5],
  ])('refuses offset %i limit %i as BAD_USER_INPUT', (offset, limit) => {
    expect(codeOf(() => page(offset, limit, paging))).toBe('BAD_USER_INPUT');
  });
});

describe('filter builders', () => {
  it('anyOf: absent is no condition, an empty list matches nothing', () => {
    expect(anyOf('status', undefined)).toEqual({});
    expect(anyOf('status', null)).toEqual({});
    expect(anyOf('status', [])).toEqual({ status: { $in: [] } });
    expect(anyOf('status', ['rated', 'billed'])).toEqual({ status: { $in: ['rated', 'billed'] } });
  });

  it('within maps each bound to its operator and drops empty ranges', () => {
    const a = new Date('2026-01-01T00:00:00Z');
    const b = new Date('2026-02-01T00:00:00Z');
    expect(within('usageDate', { gte: a, lt: b })).toEqual({ usageDate: { $gte: a, $lt: b } });
    expect(within('usageDate', { gt: null })).toEqual({});
    expect(within('usageDate', undefined)).toEqual({});
  });
});

describe('sortBy', () => {
  const paths = { created: 'creationDate', id: '_id' } as const;
  it('keeps key order, maps paths and ends with _id for stable paging', () => {
    expect(Object.entries(sortBy([{ field: 'created', direction: 'DESC' }], paths, { x: 1 }))).toEqual([
      ['creationDate', -1],
      ['_id', 1],
    ]);
  });
  it('uses the fallback without sort keys and refuses a repeated key', () => {
    expect(sortBy([], paths, { x: 1 })).toEqual({ x: 1 });
    expect(codeOf(() => sortBy([{ field: 'id' }, { field: 'id', direction: 'DESC' }], paths, {}))).toBe('BAD_USER_INPUT');
  });
});

describe('patchUpdate', () => {
  const now = new Date('2026-11-24T10:00:00Z');
  it('sets given values, clears nulls, empties null lists and stamps lastUpdate', () => {
    expect(patchUpdate({ description: 'x', usageType: null, tags: null, kept: undefined }, { required: [], lists: ['tags'], now })).toEqual({
      $set: { lastUpdate: now, description: 'x', tags: [] },
      $unset: { usageType: '' },
    });
  });
  it('refuses to clear a required field', () => {
    expect(codeOf(() => patchUpdate({ status: null }, { required: ['status'], lists: [], now }))).toBe('BAD_USER_INPUT');
  });
});
