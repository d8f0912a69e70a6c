import { describe, expect, it } from 'vitest';
import { UsageGraphError } from '../../platform/errors.js';
import { meterLimits, meterQuery } from '../../subgraphs/usage/meters/query.js';
import { windowBounds } from '../../subgraphs/usage/meters/windows.js';
import type { UsageMeterInput } from '../../subgraphs/usage/generated/resolvers.js';

const at = (iso: string) => new Date(iso);
const bounds = (from: string, to: string, size: 'MINUTE' | 'HOUR' | 'DAY' | 'MONTH' | null, zone: string, max = 10_000) =>
  windowBounds(at(from), at(to), size, zone, max).map((d) => d.toISOString());
const hours = (list: string[]) => list.slice(1).map((end, n) => (Date.parse(end) - Date.parse(list[n]!)) / 3_600_000);

function refusal(run: () => unknown): { code: unknown; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageGraphError) return { code: error.extensions.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('meter windows', () => {
  it('UTC: aligned hours, days and months; the first and last clipped to the range; one window without a size', () => {
    expect(bounds('2026-03-08T00:00:00Z', '2026-03-08T03:00:00Z', 'HOUR', 'UTC')).toEqual([
      '2026-03-08T00:00:00.000Z',
      '2026-03-08T01:00:00.000Z',
      '2026-03-08T02:00:00.000Z',
      '2026-03-08T03:00:00.000Z',
    ]);
    expect(bounds('2026-03-08T00:30:00Z', '2026-03-08T02:15:00Z', 'HOUR', 'UTC')).toEqual([
      '2026-03-08T00:30:00.000Z',
      '2026-03-08T01:00:00.000Z',
      '2026-03-08T02:00:00.000Z',
      '2026-03-08T02:15:00.000Z',
    ]);
    expect(bounds('2026-01-31T12:00:00Z', '2026-04-01T00:00:00Z', 'MONTH', 'UTC')).toEqual([
      '2026-01-31T12:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
      '2026-04-01T00:00:00.000Z',
    ]);
    expect(bounds('2026-03-08T00:00:00Z', '2026-03-10T00:00:00Z', 'DAY', 'UTC')).toEqual([
      '2026-03-08T00:00:00.000Z',
      '2026-03-09T00:00:00.000Z',
      '2026-03-10T00:00:00.000Z',
    ]);
    expect(bounds('2026-03-08T10:00:10Z', '2026-03-08T10:02:00Z', 'MINUTE', 'UTC')).toEqual([
      '2026-03-08T10:00:10.000Z',
      '2026-03-08T10:01:00.000Z',
      '2026-03-08T10:02:00.000Z',
    ]);
    expect(bounds('2026-03-08T00:00:00Z', '2027-03-08T00:00:00Z', null, 'Asia/Kolkata')).toEqual(['2026-03-08T00:00:00.000Z', '2027-03-08T00:00:00.000Z']);
  });

  it('Asia/Kolkata (+05:30): hours start at :30 UTC, days at 18:30 UTC, months on the local first', () => {
    expect(bounds('2026-01-01T00:00:00Z', '2026-01-01T03:00:00Z', 'HOUR', 'Asia/Kolkata')).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T01:30:00.000Z',
      '2026-01-01T02:30:00.000Z',
      '2026-01-01T03:00:00.000Z',
    ]);
    expect(bounds('2026-01-01T18:30:00Z', '2026-01-03T18:30:00Z', 'DAY', 'Asia/Kolkata')).toEqual([
      '2026-01-01T18:30:00.000Z',
      '2026-01-02T18:30:00.000Z',
      '2026-01-03T18:30:00.000Z',
    ]);
    expect(bounds('2026-01-15T00:00:00Z', '2026-03-15T00:00:00Z', 'MONTH', 'Asia/Kolkata')).toEqual([
      '2026-01-15T00:00:00.000Z',
      '2026-01-31T18:30:00.000Z',
      '2026-02-28T18:30:00.000Z',
      '2026-03-15T00:00:00.000Z',
    ]);
  });

  it('America/New_York: a 23-hour day in March, a 25-hour day in November, and one-hour windows either side of each change', () => {
    const march = bounds('2026-03-07T05:00:00Z', '2026-03-10T04:00:00Z', 'DAY', 'America/New_York');
    expect(march).toEqual(['2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', '2026-03-10T04:00:00.000Z']);
    expect(hours(march)).toEqual([24, 23, 24]);
    const november = bounds('2026-10-31T04:00:00Z', '2026-11-03T05:00:00Z', 'DAY', 'America/New_York');
    expect(november).toEqual(['2026-10-31T04:00:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', '2026-11-03T05:00:00.000Z']);
    expect(hours(november)).toEqual([24, 25, 24]);
    // 00:00 and 01:00 EST, then 03:00 and 04:00 EDT: local 02:00 does not exist.
    expect(hours(bounds('2026-03-08T05:00:00Z', '2026-03-08T09:00:00Z', 'HOUR', 'America/New_York'))).toEqual([1, 1, 1, 1]);
    // 00:00 EDT, 01:00 EDT, 01:00 EST (the repeated hour is a window of its own), 02:00 EST.
    expect(bounds('2026-11-01T04:00:00Z', '2026-11-01T08:00:00Z', 'HOUR', 'America/New_York')).toEqual([
      '2026-11-01T04:00:00.000Z',
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T08:00:00.000Z',
    ]);
    expect(bounds('2026-01-01T05:00:00Z', '2026-05-01T04:00:00Z', 'MONTH', 'America/New_York')).toEqual([
      '2026-01-01T05:00:00.000Z',
      '2026-02-01T05:00:00.000Z',
      '2026-03-01T05:00:00.000Z',
      '2026-04-01T04:00:00.000Z',
      '2026-05-01T04:00:00.000Z',
    ]);
  });

  it('Europe/Paris: 23- and 25-hour days at the end of March and October; a March of 743 hours', () => {
    expect(hours(bounds('2026-03-27T23:00:00Z', '2026-03-30T22:00:00Z', 'DAY', 'Europe/Paris'))).toEqual([24, 23, 24]);
    expect(hours(bounds('2026-10-23T22:00:00Z', '2026-10-26T23:00:00Z', 'DAY', 'Europe/Paris'))).toEqual([24, 25, 24]);
    expect(hours(bounds('2026-02-28T23:00:00Z', '2026-04-30T22:00:00Z', 'MONTH', 'Europe/Paris'))).toEqual([31 * 24 - 1, 30 * 24]);
  });

  it('America/Sao_Paulo 2018-19: a day whose midnight never happened starts at 01:00; a day whose midnight happened twice lasts 25 hours', () => {
    expect(bounds('2018-11-03T03:00:00Z', '2018-11-05T02:00:00Z', 'DAY', 'America/Sao_Paulo')).toEqual([
      '2018-11-03T03:00:00.000Z',
      '2018-11-04T03:00:00.000Z',
      '2018-11-05T02:00:00.000Z',
    ]);
    expect(hours(bounds('2019-02-16T02:00:00Z', '2019-02-18T03:00:00Z', 'DAY', 'America/Sao_Paulo'))).toEqual([25, 24]);
  });

  it('agrees with a minute-by-minute walk of the local clock, with a formatter of its own, around both changes', () => {
    for (const zone of ['America/New_York', 'Europe/Paris', 'Asia/Kolkata']) {
      const format = new Intl.DateTimeFormat('en-GB', { timeZone: zone, dateStyle: 'short', timeStyle: 'long', hourCycle: 'h23' });
      for (const [from, to] of [
        ['2026-03-06T00:00:00Z', '2026-03-31T00:00:00Z'],
        ['2026-10-23T00:00:00Z', '2026-11-03T12:00:00Z'],
      ] as const) {
        const day: string[] = [];
        const hour: string[] = [];
        let previous = format.format(Date.parse(from));
        for (let t = Date.parse(from) + 60_000; t < Date.parse(to); t += 60_000) {
          // "dd/mm/yyyy, hh:mm:ss GMT+x": a new date is a new day; a new hour, or a new offset, a new hour window.
          const now = format.format(t);
          if (now.slice(0, 10) !== previous.slice(0, 10)) day.push(new Date(t).toISOString());
          if (now.slice(0, 14) !== previous.slice(0, 14) || now.split(' ').at(-1) !== previous.split(' ').at(-1)) hour.push(new Date(t).toISOString());
          previous = now;
        }
        const inner = (size: 'DAY' | 'HOUR') => bounds(from, to, size, zone).slice(1, -1);
        expect(inner('DAY'), `${zone} days from ${from}`).toEqual(day);
        expect(inner('HOUR'), `${zone} hours from ${from}`).toEqual(hour);
      }
    }
  });

  it(`gives at most ${meterLimits.windows} windows and names the limit beyond`, () => {
    const input = (windowSize: UsageMeterInput['windowSize'], to: string): UsageMeterInput => ({
      aggregation: 'COUNT',
      from: at('2026-01-01T00:00:00Z'),
      to: at(to),
      windowSize,
    });
    expect(meterQuery(input('MINUTE', '2026-01-01T16:40:00Z')).bounds).toHaveLength(1_001);
    expect(refusal(() => meterQuery(input('MINUTE', '2026-01-01T16:40:01Z')))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'The range holds more than 1000 windows of a minute (the most a meter gives): ask for a shorter range or larger windows.',
    });
    expect(refusal(() => meterQuery(input('MONTH', '2200-01-01T00:00:00Z'))).message).toMatch(/more than 1000 windows of a month/);
    expect(meterQuery(input(null, '9999-01-01T00:00:00Z')).bounds).toHaveLength(2);
  });

  it('refuses an unknown time zone, an empty range, a missing value, a party without its role and a dimension named twice', () => {
    const base: UsageMeterInput = { aggregation: 'SUM', value: 'volume', from: at('2026-01-01T00:00:00Z'), to: at('2026-01-02T00:00:00Z') };
    const cases: [Partial<UsageMeterInput>, RegExp][] = [
      [{ timeZone: 'Mars/Olympus' }, /Unknown time zone "Mars\/Olympus"/],
      [{ timeZone: '+05:30' }, /Unknown time zone/],
      [{ timeZone: '' }, /Unknown time zone/],
      [{ to: at('2026-01-01T00:00:00Z') }, /from must be before to/],
      [{ to: at('2025-12-31T00:00:00Z') }, /from must be before to/],
      [{ value: null }, /SUM needs value/],
      [{ aggregation: 'UNIQUE_COUNT', value: undefined }, /UNIQUE_COUNT needs value/],
      [{ groupBy: [{ dimension: 'RELATED_PARTY' }] }, /RELATED_PARTY needs the role/],
      [{ groupBy: [{ dimension: 'CHARACTERISTIC' }] }, /CHARACTERISTIC needs the name/],
      [{ groupBy: [{ dimension: 'STATUS', role: 'customer' }] }, /STATUS takes neither/],
      [{ groupBy: [{ dimension: 'STATUS' }, { dimension: 'STATUS' }] }, /names STATUS twice/],
    ];
    for (const [change, message] of cases) {
      const { code, message: text } = refusal(() => meterQuery({ ...base, ...change }));
      expect([code, text], JSON.stringify(change)).toEqual(['BAD_USER_INPUT', expect.stringMatching(message)]);
    }
    expect(meterQuery({ ...base, aggregation: 'COUNT', value: null, timeZone: 'Europe/Paris' }).bounds).toHaveLength(2);
    expect(
      meterQuery({
        ...base,
        groupBy: [
          { dimension: 'RELATED_PARTY', role: 'customer' },
          { dimension: 'RELATED_PARTY', role: 'seller' },
        ],
      }).groupBy,
    ).toHaveLength(2);
  });
});
