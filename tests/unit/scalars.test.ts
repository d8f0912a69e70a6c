import { describe, expect, it } from 'vitest';
import { UsageGraphError } from '../../platform/errors.js';
import { checkJsonValue, DateTime, MAX_JSON_DEPTH, parseDateTime } from '../../subgraphs/shared/scalars.js';

const refused = (run: () => unknown) => {
  try {
    run();
    return false;
  } catch (error) {
    return error instanceof UsageGraphError && error.code === 'BAD_USER_INPUT';
  }
};

describe('DateTime', () => {
  it('parses RFC 3339 instants with a zone', () => {
    expect(parseDateTime('2026-11-24T10:00:00Z').toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(parseDateTime('2026-11-24T12:00:00.5+02:00').toISOString()).toBe('2026-11-24T10:00:00.500Z');
  });

  it.each(['2026-11-24', '2026-11-24T10:00:00', '2026-02-31T00:00:00Z', 'yesterday', '', 42, null])('refuses %j', (value) => {
    expect(refused(() => parseDateTime(value))).toBe(true);
  });

  it('serializes Dates as ISO strings', () => {
    expect(DateTime.serialize(new Date('2026-11-24T10:00:00Z'))).toBe('2026-11-24T10:00:00.000Z');
  });

  it('serializes a Date changed in place since it was last serialized as it is now', () => {
    const date = new Date('2026-11-24T10:00:00Z');
    expect(DateTime.serialize(date)).toBe('2026-11-24T10:00:00.000Z');
    expect(DateTime.serialize(date)).toBe('2026-11-24T10:00:00.000Z');
    date.setUTCHours(11);
    expect(DateTime.serialize(date)).toBe('2026-11-24T11:00:00.000Z');
    expect(DateTime.serialize('2026-11-24T12:00:00Z')).toBe('2026-11-24T12:00:00.000Z');
    expect(DateTime.serialize(date)).toBe('2026-11-24T11:00:00.000Z');
  });
});

describe('JSON values', () => {
  it('keeps JSON of every type', () => {
    const value = { a: [1, 'two', true, null, { b: 2.5 }] };
    expect(checkJsonValue(value)).toEqual(value);
  });

  it.each([{ $where: 'x' }, { 'a.b': 1 }, { nested: [{ $gt: '' }] }, JSON.parse('{"__proto__": {"polluted": true}}')])(
    'refuses keys MongoDB would interpret: %j',
    (value) => {
      expect(refused(() => checkJsonValue(value))).toBe(true);
    },
  );

  it('refuses NaN, Infinity and over-deep nesting', () => {
    expect(refused(() => checkJsonValue(Number.NaN))).toBe(true);
    expect(refused(() => checkJsonValue([Number.POSITIVE_INFINITY]))).toBe(true);
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_JSON_DEPTH + 1; i++) deep = [deep];
    expect(refused(() => checkJsonValue(deep))).toBe(true);
  });
});
