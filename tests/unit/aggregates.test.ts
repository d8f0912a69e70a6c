import { describe, expect, it } from 'vitest';
import { dailySeries, daysBetween, fold, lastDayOfMonth } from '../../subgraphs/usage/ingestion/aggregates.js';

describe('fold', () => {
  it('sums, counts, and takes the min, max and last of values in time order', () => {
    const values = [3, -1, 7, 2];
    expect(fold('SUM', values)).toBe(11);
    expect(fold('COUNT', values)).toBe(4);
    expect(fold('MIN', values)).toBe(-1);
    expect(fold('MAX', values)).toBe(7);
    expect(fold('LAST', values)).toBe(2);
    expect(fold('MAX', [])).toBe(0);
  });
});

describe('days', () => {
  it('lists the days of a range and finds the last day of a month, leap years included', () => {
    expect(daysBetween('2024-02-27', '2024-03-01')).toEqual(['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01']);
    expect(lastDayOfMonth('2024-02')).toBe('2024-02-29');
    expect(lastDayOfMonth('2026-02')).toBe('2026-02-28');
    expect(lastDayOfMonth('2026-12')).toBe('2026-12-31');
  });
});

describe('dailySeries', () => {
  const found = [
    { consumer: 'b', provider: 'p', day: '2026-01-02', value: 5, count: 2 },
    { consumer: 'a', provider: 'p', day: '2026-01-03', value: 1, count: 1 },
  ];
  const days = ['2026-01-01', '2026-01-02', '2026-01-03'];
  it('prefills the days without usages with zero per consumer and provider, sorted', () => {
    const series = dailySeries(found, days, 'ZERO');
    expect([...series.keys()]).toEqual(['["a","p"]', '["b","p"]']);
    expect(series.get('["b","p"]')!.map((d) => d.value)).toEqual([0, 5, 0]);
  });
  it('leaves them out with NONE', () => {
    expect(
      dailySeries(found, days, 'NONE')
        .get('["b","p"]')!
        .map((d) => d.day),
    ).toEqual(['2026-01-02']);
  });
});
