import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import type { CommandStartedEvent, Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateUsageDocument, type ProductUsageInput } from '../operations/generated.js';
import { rollupsSettled } from '../support/rollups.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';

/**
 * usageMeter through the gateway, against values folded here from the usages this file seeds, with
 * windows labelled here by the local clock (Intl, not the project's code): every aggregation, every
 * window size and three zones, across the daylight-saving changes of late October 2026 (Paris on the
 * 25th, New York on 1 November).
 */
let stack: Stack;
let otherToken: string;
let wideToken: string;

type Size = 'MINUTE' | 'HOUR' | 'DAY' | 'MONTH' | null;
const aggregations = ['SUM', 'COUNT', 'MIN', 'MAX', 'AVG', 'UNIQUE_COUNT', 'LATEST'] as const;
type Aggregation = (typeof aggregations)[number];
const zones = ['UTC', 'Asia/Kolkata', 'America/New_York'] as const;

/** The range each window size is asked over: MINUTE around New York's repeated hour (06:00Z on 1 Nov). */
const ranges: Record<string, [string, string]> = {
  MINUTE: ['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z'],
  HOUR: ['2026-10-24T12:00:00Z', '2026-11-02T12:00:00Z'],
  DAY: ['2026-10-01T00:00:00Z', '2026-11-15T00:00:00Z'],
  MONTH: ['2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
  none: ['2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
};

interface Seeded {
  id: string;
  date: number | null;
  status: string;
  usageType: string;
  spec: string | null;
  customer: string | null;
  product: string | null;
  volume: unknown;
  region: string | null;
  user: string;
}
const seeded: Seeded[] = [];
const otherSeeded: Seeded[] = [];

// mulberry32: every bit varies (a plain LCG's low bits repeat with a short period, and `% n` reads them).
let seed = 11;
const next = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
};
const pick = <T>(list: readonly T[]): T => list[next() % list.length]!;
const between = (from: string, to: string) => Date.parse(from) + (next() % Math.floor((Date.parse(to) - Date.parse(from)) / 1000)) * 1000 + (next() % 1000);

/** The usage dates: clusters for each range, instants on or next to window boundaries, twins for LATEST's tie. */
function dates(): (number | null)[] {
  const list: (number | null)[] = [];
  for (let i = 0; i < 90; i++) list.push(between('2026-11-01T05:20:00Z', '2026-11-01T06:40:00Z'));
  for (let i = 0; i < 200; i++) list.push(between('2026-10-20T00:00:00Z', '2026-11-05T00:00:00Z'));
  for (let i = 0; i < 80; i++) list.push(between('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'));
  const edges = [
    '2026-11-01T06:00:00.000Z', // New York: 01:00 EST, the second 01:00
    '2026-11-01T05:59:59.999Z',
    '2026-10-25T01:00:00.000Z', // Paris: 02:00 CET
    '2026-10-31T18:30:00.000Z', // Kolkata: 1 November 00:00
    '2026-10-31T18:29:59.999Z',
    '2026-11-01T04:00:00.000Z', // New York: 1 November 00:00 EDT
    '2026-11-02T05:00:00.000Z', // New York: 2 November 00:00 EST
    '2026-11-01T05:30:00.000Z', // the MINUTE range's from, Kolkata's 11:00
    '2026-11-01T06:30:00.000Z', // the MINUTE range's to: outside it
    '2026-12-31T23:59:59.999Z',
    '2027-01-01T00:00:00.000Z', // the year's end: outside MONTH and the whole range
  ];
  for (const edge of edges) list.push(Date.parse(edge), Date.parse(edge));
  for (let i = 0; i < 8; i++) list.push(null);
  return list;
}

function input(date: number | null, volume: unknown, extra: Partial<Seeded> = {}): { input: ProductUsageInput; row: Omit<Seeded, 'id'> } {
  const row: Omit<Seeded, 'id'> = {
    date,
    status: pick(['initialized', 'rated', 'rated', 'billed', 'superseded']),
    usageType: pick(['data', 'voice', 'sms']),
    spec: pick(['spec-a', 'spec-b', null]),
    customer: pick(['c1', 'c2', 'c3', null]),
    product: pick(['p1', 'p2', null]),
    volume,
    region: pick(['eu', 'us', null]),
    user: pick(['u1', 'u2', 'u3', 'u4', 'u5', 'u6']),
    ...extra,
  };
  const characteristics = [
    ...(row.volume === undefined ? [] : [{ name: 'volume', value: row.volume }]),
    ...(row.region === null ? [] : [{ name: 'region', value: row.region }]),
    { name: 'user', value: row.user },
  ];
  const parties = [
    ...(next() % 3 === 0 ? [{ role: 'seller', partyOrPartyRole: { id: 's1' } }] : []),
    ...(row.customer === null ? [] : [{ role: 'customer', partyOrPartyRole: { id: row.customer } }]),
  ];
  return {
    row,
    input: {
      usageDate: date === null ? null : new Date(date).toISOString(),
      status: row.status as ProductUsageInput['status'],
      usageType: row.usageType,
      usageSpecification: row.spec === null ? null : { id: row.spec },
      product: row.product === null ? null : { id: row.product },
      relatedParty: parties,
      usageCharacteristic: characteristics,
    },
  };
}

async function create(inputs: ProductUsageInput[], headers?: Record<string, string>): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < inputs.length; start += 8) {
    const batch = inputs
      .slice(start, start + 8)
      .map(async (usage) => dataOf(await stack.request(CreateUsageDocument, { input: usage }, headers)).createProductUsage.id);
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

beforeAll(async () => {
  stack = await startStack('meters');
  otherToken = await stack.mintToken({ tenant: 'other-tenant' });
  wideToken = await stack.mintToken({ tenant: 'wide-tenant' });
  // Volumes in quarters (exact in binary, so sums do not depend on their order); some not numbers.
  const made = dates().map((date) => input(date, next() % 17 === 0 ? 'n/a' : next() % 23 === 0 ? undefined : (next() % 40) / 4));
  const ids = await create(made.map((m) => m.input));
  made.forEach((m, n) => seeded.push({ id: ids[n]!, ...m.row }));
  // Another tenant's usages in the same windows, with volumes that would show in any sum.
  const others = Array.from({ length: 40 }, () => input(between('2026-10-20T00:00:00Z', '2026-11-05T00:00:00Z'), 1000, { status: 'rated' }));
  for (let i = 0; i < 10; i++) others.push(input(between('2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z'), 1000, { status: 'rated' }));
  const otherIds = await create(
    others.map((m) => m.input),
    { authorization: `Bearer ${otherToken}` },
  );
  others.forEach((m, n) => otherSeeded.push({ id: otherIds[n]!, ...m.row }));
  // 1,001 usages of one hour, each with its own serial: more groups than a meter gives.
  const hour = Date.parse('2026-06-01T10:00:00Z');
  await stack.db.collection('productUsages').insertMany(
    Array.from({ length: 1_001 }, (_, i) => ({
      _id: `wide-${i}` as never,
      tenant: 'wide-tenant',
      type: 'ProductUsage',
      status: 'rated',
      usageDate: new Date(hour + i * 1_000),
      creationDate: new Date(),
      lastUpdate: new Date(),
      relatedParty: [],
      usageCharacteristic: [{ name: 'serial', value: i }],
    })),
  );
}, 240_000);
afterAll(async () => {
  await stack?.close();
});

const MeterDocument = parse(`
  query Meter($input: UsageMeterInput!) {
    usageMeter(input: $input) { rows { windowStart windowEnd groups { dimension role name value } value } }
  }
`) as TypedDocumentNode<{ usageMeter: { rows: Row[] } }, { input: Record<string, unknown> }>;
interface Row {
  windowStart: string;
  windowEnd: string;
  groups: { dimension: string; role: string | null; name: string | null; value: unknown }[];
  value: number;
}

const meter = async (input: Record<string, unknown>, token?: string) =>
  stack.request(MeterDocument, { input }, token ? { authorization: `Bearer ${token}` } : undefined);
const rowsOf = async (input: Record<string, unknown>, token?: string) => dataOf(await meter(input, token)).usageMeter.rows;

/** The window of instant `t` as the zone's clock names it: a MINUTE or HOUR also by its offset (the repeated hour is another). */
const clocks = new Map<string, Intl.DateTimeFormat>();
function label(t: number, size: Size, zone: string): string {
  if (size === null) return 'all';
  if (!clocks.has(zone)) {
    const options = {
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'longOffset',
    } as const;
    clocks.set(zone, new Intl.DateTimeFormat('en-US', { timeZone: zone, ...options }));
  }
  const parts = Object.fromEntries(
    clocks
      .get(zone)!
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  );
  const day = `${parts.year}-${parts.month}-${parts.day}`;
  return {
    MONTH: `${parts.year}-${parts.month}`,
    DAY: day,
    HOUR: `${day} ${parts.hour} ${parts.timeZoneName}`,
    MINUTE: `${day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`,
  }[size];
}

/** Whether the usage takes part: a number for the numeric aggregations, any value for UNIQUE_COUNT, all for COUNT. */
const counts = (u: Seeded, aggregation: Aggregation) =>
  aggregation === 'COUNT' ? true : aggregation === 'UNIQUE_COUNT' ? u.volume != null : typeof u.volume === 'number';

function fold(aggregation: Aggregation, usages: Seeded[]): number {
  const values = usages.map((u) => u.volume as number);
  switch (aggregation) {
    case 'SUM':
      return values.reduce((a, b) => a + b, 0);
    case 'COUNT':
      return usages.length;
    case 'MIN':
      return Math.min(...values);
    case 'MAX':
      return Math.max(...values);
    case 'AVG':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'UNIQUE_COUNT':
      return new Set(usages.map((u) => `${typeof u.volume}:${String(u.volume)}`)).size;
    case 'LATEST':
      return [...usages].sort((a, b) => a.date! - b.date! || (a.id < b.id ? -1 : 1)).at(-1)!.volume as number;
  }
}

/** The usages the meter counts over [from, to): dated, in the range, not superseded. */
const inRange = (from: string, to: string, list = seeded) =>
  list.filter((u) => u.date !== null && u.date >= Date.parse(from) && u.date < Date.parse(to) && u.status !== 'superseded');

/** Expected values by window label (and group key), folded here. */
function expected(aggregation: Aggregation, size: Size, zone: string, key: (u: Seeded) => string = () => '', list = seeded): Map<string, number> {
  const [from, to] = ranges[size ?? 'none']!;
  const groups = new Map<string, Seeded[]>();
  for (const u of inRange(from, to, list).filter((u) => counts(u, aggregation))) {
    const k = `${label(u.date!, size, zone)}|${key(u)}`;
    groups.set(k, [...(groups.get(k) ?? []), u]);
  }
  return new Map([...groups].map(([k, us]) => [k, fold(aggregation, us)]));
}

const round = (v: number) => Math.round(v * 1e9) / 1e9;
const sortedEntries = (map: Map<string, number>) => [...map].map(([k, v]) => [k, round(v)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Checks each row's window against the zone's clock: one label from start to end, another either side (within the range). */
function checkWindows(rows: Row[], size: Size, zone: string) {
  const [from, to] = ranges[size ?? 'none']!.map(Date.parse) as [number, number];
  for (const row of rows) {
    const start = Date.parse(row.windowStart);
    const end = Date.parse(row.windowEnd);
    const name = label(start, size, zone);
    expect(start < end && start >= from && end <= to, JSON.stringify(row)).toBe(true);
    expect(label(end - 1, size, zone), JSON.stringify(row)).toBe(name);
    if (start > from) expect(label(start - 1, size, zone), JSON.stringify(row)).not.toBe(name);
    if (end < to) expect(label(end, size, zone), JSON.stringify(row)).not.toBe(name);
  }
  const starts = rows.map((row) => row.windowStart);
  expect(starts).toEqual([...starts].sort());
}

describe('usageMeter', () => {
  it('seeds usages on both sides of the changes, superseded and undated ones among them', () => {
    expect(seeded.length).toBeGreaterThan(390);
    expect(seeded.filter((u) => u.status === 'superseded').length).toBeGreaterThan(40);
    expect(seeded.filter((u) => u.date === null)).toHaveLength(8);
    expect(inRange(...ranges.MINUTE!).length).toBeGreaterThan(40);
    // Every dimension takes each of its values, none among them, in the DAY range.
    const day = inRange(...ranges.DAY!);
    for (const [field, values] of [
      ['spec', 3],
      ['usageType', 3],
      ['status', 3],
      ['customer', 4],
      ['product', 3],
      ['region', 3],
    ] as const)
      expect(new Set(day.map((u) => u[field])).size, field).toBe(values);
    expect(new Set(day.map((u) => typeof u.volume))).toEqual(new Set(['number', 'string', 'undefined']));
  });

  for (const size of ['MINUTE', 'HOUR', 'DAY', 'MONTH', null] as const) {
    for (const zone of zones) {
      it(`gives every aggregation by ${size ?? 'the whole range'} in ${zone} as folded here`, async () => {
        const [from, to] = ranges[size ?? 'none']!;
        for (const aggregation of aggregations) {
          const rows = await rowsOf({ aggregation, value: aggregation === 'COUNT' ? null : 'volume', from, to, windowSize: size, timeZone: zone });
          checkWindows(rows, size, zone);
          const actual = new Map(rows.map((row) => [`${label(Date.parse(row.windowStart), size, zone)}|`, row.value]));
          expect(actual.size, `${aggregation}: one row per window`).toBe(rows.length);
          expect(sortedEntries(actual), `${aggregation} by ${size} in ${zone}`).toEqual(sortedEntries(expected(aggregation, size, zone)));
        }
      });
    }
  }

  it('counts the repeated hour of New York twice, once per offset, and a 25-hour day as one', async () => {
    const hours = await rowsOf({
      aggregation: 'COUNT',
      from: '2026-11-01T04:00:00Z',
      to: '2026-11-01T08:00:00Z',
      windowSize: 'HOUR',
      timeZone: 'America/New_York',
    });
    expect(hours.map((row) => [row.windowStart, row.windowEnd])).toEqual([
      ['2026-11-01T04:00:00.000Z', '2026-11-01T05:00:00.000Z'],
      ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z'],
      ['2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z'],
      ['2026-11-01T07:00:00.000Z', '2026-11-01T08:00:00.000Z'],
    ]);
    const days = await rowsOf({
      aggregation: 'COUNT',
      from: '2026-11-01T04:00:00Z',
      to: '2026-11-03T05:00:00Z',
      windowSize: 'DAY',
      timeZone: 'America/New_York',
    });
    expect(days.map((row) => [row.windowStart, row.windowEnd])).toEqual([
      ['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
      ['2026-11-02T05:00:00.000Z', '2026-11-03T05:00:00.000Z'],
    ]);
    expect(days[0]!.value).toBe(inRange('2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z').length);
  });

  it('groups by every dimension, in groupBy order, rows ordered by window then groups (null first)', async () => {
    const groupBy = [
      { dimension: 'USAGE_SPECIFICATION' },
      { dimension: 'USAGE_TYPE' },
      { dimension: 'STATUS' },
      { dimension: 'RELATED_PARTY', role: 'customer' },
      { dimension: 'PRODUCT' },
      { dimension: 'CHARACTERISTIC', name: 'region' },
    ];
    const [from, to] = ranges.DAY!;
    const rows = await rowsOf({ aggregation: 'SUM', value: 'volume', from, to, windowSize: 'DAY', timeZone: 'Europe/Paris', groupBy });
    const values = (u: Seeded) => [u.spec, u.usageType, u.status, u.customer, u.product, u.region];
    const key = (vs: unknown[]) => JSON.stringify(vs);
    expect(
      sortedEntries(
        new Map(rows.map((row) => [`${label(Date.parse(row.windowStart), 'DAY', 'Europe/Paris')}|${key(row.groups.map((g) => g.value))}`, row.value])),
      ),
    ).toEqual(sortedEntries(expected('SUM', 'DAY', 'Europe/Paris', (u) => key(values(u)))));
    expect(rows[0]!.groups.map(({ dimension, role, name }) => [dimension, role, name])).toEqual(
      groupBy.map((g) => [g.dimension, g.role ?? null, g.name ?? null]),
    );
    const order = (a: unknown[], b: unknown[]): number => {
      for (let n = 0; n < a.length; n++) {
        if (a[n] === b[n]) continue;
        if (a[n] === null) return -1;
        if (b[n] === null) return 1;
        return String(a[n]) < String(b[n]) ? -1 : 1;
      }
      return 0;
    };
    const sorted = [...rows].sort(
      (a, b) =>
        a.windowStart.localeCompare(b.windowStart) ||
        order(
          a.groups.map((g) => g.value),
          b.groups.map((g) => g.value),
        ),
    );
    expect(rows).toEqual(sorted);
    expect(rows.some((row) => row.groups[3]!.value === null) && rows.some((row) => row.groups[3]!.value === 'c1')).toBe(true);
  });

  it('counts distinct string values of a characteristic, and groups by a party of another role', async () => {
    const [from, to] = ranges.HOUR!;
    const rows = await rowsOf({ aggregation: 'UNIQUE_COUNT', value: 'user', from, to, groupBy: [{ dimension: 'RELATED_PARTY', role: 'customer' }] });
    const want = new Map<string, Set<string>>();
    for (const u of inRange(from, to)) want.set(String(u.customer), (want.get(String(u.customer)) ?? new Set()).add(u.user));
    expect(rows.map((row) => [String(row.groups[0]!.value), row.value]).sort()).toEqual([...want].map(([c, users]) => [c, users.size]).sort());
  });

  it('applies the ProductUsageFilter, ANDed with the range; superseded usages are never counted, even when asked for', async () => {
    const [from, to] = ranges.DAY!;
    const filter = { usageType: ['data', 'sms'], relatedPartyId: ['c1', 'c2'], status: ['rated', 'billed'] };
    const rows = await rowsOf({ aggregation: 'SUM', value: 'volume', from, to, windowSize: 'DAY', timeZone: 'UTC', filter });
    const chosen = seeded.filter((u) => ['data', 'sms'].includes(u.usageType) && ['c1', 'c2'].includes(u.customer!) && ['rated', 'billed'].includes(u.status));
    expect(sortedEntries(new Map(rows.map((row) => [`${label(Date.parse(row.windowStart), 'DAY', 'UTC')}|`, row.value])))).toEqual(
      sortedEntries(expected('SUM', 'DAY', 'UTC', () => '', chosen)),
    );
    // The filter's own usageDate narrows further; it cannot widen the range.
    const narrowed = await rowsOf({ aggregation: 'COUNT', from, to, filter: { usageDate: { gte: '2026-10-25T00:00:00Z', lt: '2027-06-01T00:00:00Z' } } });
    expect(narrowed.map((row) => row.value)).toEqual([inRange('2026-10-25T00:00:00Z', to).length]);
    expect(await rowsOf({ aggregation: 'COUNT', from, to, filter: { status: ['superseded'] } })).toEqual([]);
    const all = await rowsOf({ aggregation: 'COUNT', ...{ from: ranges.none![0], to: ranges.none![1] } });
    expect(all).toEqual([
      { windowStart: '2026-01-01T00:00:00.000Z', windowEnd: '2027-01-01T00:00:00.000Z', groups: [], value: inRange(...ranges.none!).length },
    ]);
    expect(all[0]!.value).toBeLessThan(seeded.filter((u) => u.date !== null && u.date < Date.parse('2027-01-01T00:00:00Z')).length);
  });

  it("counts only the caller's tenant", async () => {
    const [from, to] = ranges.MINUTE!;
    const mine = await rowsOf({ aggregation: 'MAX', value: 'volume', from, to });
    expect(mine).toEqual([
      {
        windowStart: new Date(from).toISOString(),
        windowEnd: new Date(to).toISOString(),
        groups: [],
        value: fold(
          'MAX',
          inRange(from, to).filter((u) => typeof u.volume === 'number'),
        ),
      },
    ]);
    expect(mine[0]!.value).toBeLessThan(1000);
    const theirs = await rowsOf({ aggregation: 'COUNT', from, to }, otherToken);
    expect(theirs.map((row) => row.value)).toEqual([inRange(from, to, otherSeeded).length]);
    expect(inRange(from, to, otherSeeded).length).toBeGreaterThanOrEqual(10);
    expect(await rowsOf({ aggregation: 'COUNT', from, to }, wideToken)).toEqual([]);
  });

  it('refuses bad input and what is past a limit with BAD_USER_INPUT, naming it', async () => {
    const base = { aggregation: 'SUM', value: 'volume', from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' };
    const cases: [Record<string, unknown>, RegExp, string?][] = [
      [{ timeZone: 'Europe/Atlantis' }, /^Unknown time zone "Europe\/Atlantis"/],
      [{ to: base.from }, /^from must be before to/],
      [{ value: null }, /^SUM needs value/],
      [{ aggregation: 'LATEST', value: undefined }, /^LATEST needs value/],
      [{ groupBy: [{ dimension: 'RELATED_PARTY' }] }, /^groupBy RELATED_PARTY needs the role/],
      [{ windowSize: 'MINUTE', to: '2026-11-03T00:00:00Z' }, /^The range holds more than 1000 windows of a minute/],
      [
        {
          aggregation: 'COUNT',
          value: null,
          from: '2026-06-01T00:00:00Z',
          to: '2026-06-02T00:00:00Z',
          groupBy: [{ dimension: 'CHARACTERISTIC', name: 'serial' }],
        },
        /^The meter has more than 1000 groups/,
        wideToken,
      ],
    ];
    for (const [change, message, token] of cases) {
      const result = await meter({ ...base, ...change }, token);
      expect(result.data ?? null, JSON.stringify(change)).toBeNull();
      expect(
        result.errors?.map((e) => [e.extensions?.code, e.message]),
        JSON.stringify(change),
      ).toEqual([['BAD_USER_INPUT', expect.stringMatching(message)]]);
    }
    // 1,000 groups is within the limit.
    const thousand = await rowsOf(
      { aggregation: 'COUNT', from: '2026-06-01T10:00:00Z', to: '2026-06-01T10:16:40Z', groupBy: [{ dimension: 'CHARACTERISTIC', name: 'serial' }] },
      wideToken,
    );
    expect(thousand.map((row) => row.groups[0]!.value)).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
  });

  it('reads the range through the {tenant, usageDate} index (explained)', async () => {
    const sent: Document[] = [];
    const listener = (event: CommandStartedEvent) => {
      // Not the background workers' (the rollup maintainer's recounts of the seeding carry a comment).
      if (event.commandName === 'aggregate' && event.command.aggregate === 'productUsages' && !event.command.comment) sent.push(event.command);
    };
    stack.db.client.on('commandStarted', listener);
    const [from, to] = ranges.HOUR!;
    await rowsOf({ aggregation: 'LATEST', value: 'volume', from, to, windowSize: 'HOUR', timeZone: 'Asia/Kolkata', groupBy: [{ dimension: 'PRODUCT' }] });
    stack.db.client.off('commandStarted', listener);
    expect(sent).toHaveLength(1);
    const result = await stack.db.command({ explain: { aggregate: 'productUsages', pipeline: sent[0]!.pipeline, cursor: {} }, verbosity: 'queryPlanner' });
    const scans: string[] = [];
    const walk = (node: Document) => {
      scans.push(`${node['Node Type']} ${node['Index Name'] ?? node['Relation Name'] ?? ''} ${node['Index Cond'] ?? ''}`);
      for (const child of (node.Plans as Document[] | undefined) ?? []) walk(child);
    };
    walk(result.queryPlanner.Plan);
    expect(scans.filter((scan) => scan.startsWith('Seq Scan'))).toEqual([]);
    // Bounded on the range (the condition's values are BSON): [from, to) within the tenant.
    expect(
      scans.some((scan) => /Index Scan tenant_1_usageDate_1 .*@>=.*@<.*@=/.test(scan)),
      scans.join('\n'),
    ).toBe(true);
  });

  it('takes names and roles as names, never as field paths', async () => {
    const [from, to] = ranges.DAY!;
    expect(await rowsOf({ aggregation: 'SUM', value: '$status', from, to })).toEqual([]);
    const rows = await rowsOf({ aggregation: 'COUNT', from, to, groupBy: [{ dimension: 'RELATED_PARTY', role: '$usageType' }] });
    expect(rows).toEqual([
      {
        windowStart: new Date(from).toISOString(),
        windowEnd: new Date(to).toISOString(),
        groups: [{ dimension: 'RELATED_PARTY', role: '$usageType', name: null, value: null }],
        value: inRange(from, to).length,
      },
    ]);
  });
});

describe('usageMeter from the rollups', () => {
  it('gives, once the rollups are recomputed, what the usages give: hours from their rollup, the rest from the usages', async () => {
    await rollupsSettled(stack.db);
    // Reads of each rollup (the summaries' cells and quarters, the hourly rows) and of the usages.
    const reads = { rows: 0, summaries: 0, usages: 0 };
    const watch = (event: CommandStartedEvent) => {
      if (event.commandName === 'aggregate' && event.command.aggregate === 'meterHourRollups') reads.rows += 1;
      if (event.commandName === 'find' && event.command.find === 'meterHourSummaries') reads.summaries += 1;
      if (event.commandName === 'aggregate' && event.command.aggregate === 'productUsages') reads.usages += 1;
    };
    stack.db.client.on('commandStarted', watch);
    try {
      for (const size of ['HOUR', 'DAY', 'MONTH', null] as const) {
        for (const zone of zones) {
          const [from, to] = ranges[size ?? 'none']!;
          for (const aggregation of ['SUM', 'COUNT', 'MIN', 'MAX', 'AVG'] as const) {
            const rows = await rowsOf({ aggregation, value: aggregation === 'COUNT' ? null : 'volume', from, to, windowSize: size, timeZone: zone });
            checkWindows(rows, size, zone);
            const actual = new Map(rows.map((row) => [`${label(Date.parse(row.windowStart), size, zone)}|`, row.value]));
            expect(sortedEntries(actual), `${aggregation} by ${size} in ${zone}, from the rollups`).toEqual(sortedEntries(expected(aggregation, size, zone)));
          }
        }
      }
      expect(reads.summaries, 'meters read the summaries').toBeGreaterThan(0);
      // Grouped and filtered by the dimensions each rollup keeps: the summaries' cells (type and
      // status), their cells by specification, the hourly rows (product); Kolkata's days cut every
      // first hour at :30, which the quarters answer for the summaries and the usages for the rows.
      const [from, to] = ranges.DAY!;
      const key = (vs: unknown[]) => JSON.stringify(vs);
      const cases = [
        {
          groupBy: [{ dimension: 'USAGE_TYPE' }, { dimension: 'STATUS' }],
          filter: { usageType: ['data', 'sms'], status: ['rated', 'billed'] },
          read: 'summaries',
        },
        { groupBy: [{ dimension: 'USAGE_SPECIFICATION' }, { dimension: 'STATUS' }], filter: { status: ['rated', 'billed'] }, read: 'summaries' },
        { groupBy: [{ dimension: 'PRODUCT' }, { dimension: 'USAGE_TYPE' }], filter: { usageType: ['data', 'sms'] }, read: 'rows' },
      ] as const;
      const valueOf = (u: Seeded, dimension: string) =>
        dimension === 'USAGE_TYPE' ? u.usageType : dimension === 'STATUS' ? u.status : dimension === 'PRODUCT' ? u.product : u.spec;
      for (const zone of ['UTC', 'Asia/Kolkata'] as const) {
        for (const { groupBy, filter, read } of cases) {
          const before = { ...reads };
          const rows = await rowsOf({ aggregation: 'SUM', value: 'volume', from, to, windowSize: 'DAY', timeZone: zone, groupBy, filter });
          expect(reads[read], `${groupBy.map((g) => g.dimension).join(', ')} in ${zone} reads the ${read}`).toBeGreaterThan(before[read]);
          if (read === 'summaries') expect(reads.usages, 'the summaries and their quarters need no usage').toBe(before.usages);
          const chosen = seeded.filter((u) =>
            Object.entries(filter).every(([field, values]) => (values as readonly string[]).includes(field === 'usageType' ? u.usageType : u.status)),
          );
          expect(
            sortedEntries(new Map(rows.map((row) => [`${label(Date.parse(row.windowStart), 'DAY', zone)}|${key(row.groups.map((g) => g.value))}`, row.value]))),
            `${groupBy.map((g) => g.dimension).join(', ')} in ${zone}`,
          ).toEqual(sortedEntries(expected('SUM', 'DAY', zone, (u) => key(groupBy.map((g) => valueOf(u, g.dimension))), chosen)));
        }
      }
    } finally {
      stack.db.client.off('commandStarted', watch);
    }
  });

  it('counts a write at once, before its hour is recomputed (its hour is marked, and read from the usages)', async () => {
    await rollupsSettled(stack.db);
    const [from, to] = ranges.DAY!;
    const sum = async () =>
      (await rowsOf({ aggregation: 'SUM', value: 'volume', from, to, timeZone: 'UTC', filter: { usageType: ['data'] } })).map((row) => row.value)[0] ?? 0;
    const was = await sum();
    const [made] = [input(Date.parse('2026-10-10T10:15:00Z'), 4.5, { usageType: 'data', status: 'rated' })];
    const [id] = await create([made.input]);
    expect(await sum()).toBe(was + 4.5);
    seeded.push({ id: id!, ...made.row });
    await rollupsSettled(stack.db);
    expect(await sum()).toBe(was + 4.5);
  });
});
