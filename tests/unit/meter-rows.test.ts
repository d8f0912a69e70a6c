import { describe, expect, it } from 'vitest';
import { UsageGraphError } from '../../platform/errors.js';
import { meterLimits, type MeterQuery } from '../../subgraphs/usage/meters/query.js';
import { readMeter } from '../../subgraphs/usage/meters/rows.js';
import type { MeterRow, MeterSource } from '../../subgraphs/usage/meters/source.js';

const bounds = Array.from({ length: 101 }, (_, i) => new Date(Date.UTC(2026, 0, 1, i)));
const query = (groupBy: MeterQuery['groupBy']): MeterQuery => ({
  aggregation: 'COUNT',
  value: null,
  windowSize: 'HOUR',
  timeZone: 'UTC',
  bounds,
  groupBy,
  filter: {},
  dimensionFilter: {},
});

/** A source that yields `rows` and records how many were read before the reader stopped. */
function source(rows: MeterRow[]): MeterSource & { read: number } {
  const made = {
    read: 0,
    async *rows() {
      for (const row of rows) {
        made.read++;
        yield [row];
      }
    },
  };
  return made;
}

async function refusal(run: Promise<unknown>): Promise<[unknown, string]> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof UsageGraphError)) throw new Error(`expected a UsageGraphError, got ${String(error)}`);
  return [error.extensions.code, error.message];
}

describe('meter rows', () => {
  it('orders rows by window, then by group values (null, numbers, strings, booleans), and clips windows to the bounds', async () => {
    const rows: MeterRow[] = [
      { window: 2, groups: ['b', 1], value: 1 },
      { window: 0, groups: ['b', 2], value: 2 },
      { window: 0, groups: [null, 5], value: 3 },
      { window: 0, groups: ['a', 'x'], value: 4 },
      { window: 0, groups: ['a', 10], value: 5 },
      { window: 0, groups: ['a', 9], value: 6 },
      { window: 0, groups: ['a', true], value: 7 },
      { window: 0, groups: ['a', null], value: 8 },
    ];
    const result = await readMeter(source(rows), query([{ dimension: 'STATUS' }, { dimension: 'CHARACTERISTIC', name: 'size' }]));
    expect(result.map((row) => row.value)).toEqual([3, 8, 6, 5, 4, 7, 2, 1]);
    expect(result[0]).toEqual({
      windowStart: bounds[0],
      windowEnd: bounds[1],
      groups: [
        { dimension: 'STATUS', role: null, name: null, value: null },
        { dimension: 'CHARACTERISTIC', role: null, name: 'size', value: 5 },
      ],
      value: 3,
    });
    expect(result.at(-1)!.windowStart).toEqual(bounds[2]);
  });

  it(`stops at the first group past ${meterLimits.groups}`, async () => {
    const rows = Array.from({ length: meterLimits.groups + 50 }, (_, i) => ({ window: 0, groups: [`p${i}`], value: 1 }));
    const from = source(rows);
    expect(await refusal(readMeter(from, query([{ dimension: 'PRODUCT' }])))).toEqual([
      'BAD_USER_INPUT',
      'The meter has more than 1000 groups (the most it gives): filter the usages or group by fewer dimensions.',
    ]);
    expect(from.read).toBe(meterLimits.groups + 1);
    expect(await readMeter(source(rows.slice(0, meterLimits.groups)), query([{ dimension: 'PRODUCT' }]))).toHaveLength(meterLimits.groups);
  });

  it(`stops at the first row past ${meterLimits.rows}`, async () => {
    // 100 windows of 600 groups: within the group limit, past the row limit.
    const rows = Array.from({ length: 60_000 }, (_, i) => ({ window: i % 100, groups: [Math.floor(i / 100)], value: 1 }));
    const from = source(rows);
    expect(await refusal(readMeter(from, query([{ dimension: 'CHARACTERISTIC', name: 'n' }])))).toEqual([
      'BAD_USER_INPUT',
      'The meter has more than 50000 rows (the most it gives): ask for fewer windows or fewer groups.',
    ]);
    expect(from.read).toBe(meterLimits.rows + 1);
  });

  it('tells groups apart by their values, an object from the string of its JSON, and counts each once toward the limit', async () => {
    const values: unknown[][] = [
      ['a', 1],
      ['a', '1'],
      [{ a: 1 }, 1],
      ['{"a":1}', 1],
      [null, 1],
      ['null', 1],
      [true, 1],
      ['true', 1],
      [[1], 1],
      ['[1]', 1],
    ];
    const rows = [0, 1].flatMap((window) => values.map((groups) => ({ window, groups, value: 1 })));
    const read = await readMeter(
      source(rows),
      query([
        { dimension: 'CHARACTERISTIC', name: 'g' },
        { dimension: 'CHARACTERISTIC', name: 'h' },
      ]),
    );
    expect(read).toHaveLength(20);
    const distinct = new Set(read.map((row) => JSON.stringify(row.groups.map((group) => group.value))));
    expect(distinct.size).toBe(10);
    for (const groups of values) expect(distinct.has(JSON.stringify(groups))).toBe(true);
    // Just within the limit with these ten, past it with one more.
    const filler = Array.from({ length: meterLimits.groups - values.length }, (_, n) => ({ window: 0, groups: [`filler-${n}`, 1], value: 1 }));
    const twoDims = query([
      { dimension: 'CHARACTERISTIC', name: 'g' },
      { dimension: 'CHARACTERISTIC', name: 'h' },
    ]);
    expect(await readMeter(source([...rows, ...filler]), twoDims)).toHaveLength(20 + filler.length);
    const [code] = await refusal(readMeter(source([...rows, ...filler, { window: 1, groups: ['one more', 1], value: 1 }]), twoDims));
    expect(code).toBe('BAD_USER_INPUT');
  });
});
