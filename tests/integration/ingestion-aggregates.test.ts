import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateKpiDocument,
  DailyAggregatesDocument,
  IngestUsagesDocument,
  MonthlyAggregatesDocument,
  type KpiInput,
  type UsageIngestInput,
} from '../operations/generated.js';
import { rollupsSettled } from '../support/rollups.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';
import { waitUntil } from '../support/wait.js';

/**
 * Daily and monthly aggregates of KPIs, against values computed here from the usages sent, including
 * usages that arrive after their month ended.
 */
let stack: Stack;
const base = '/api/usagetransparency/v3';

// The previous month (UTC), wholly in the past, so its aggregation runs until its last day.
const now = new Date();
const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
const month = previous.toISOString().slice(0, 7);
const monthNumber = previous.getUTCMonth() + 1;
const lastDay = previous.getUTCDate();
const day = (d: number) => `${month}-${String(d).padStart(2, '0')}`;

interface Sent {
  consumer: string;
  provider: string;
  day: string;
  value: number;
  datetime: string;
}

// Deterministic values in quarters (exact in binary), spread over consumers, providers and days 1-10.
const sent: Sent[] = [];
let seed = 7;
const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
for (let i = 0; i < 260; i++) {
  const d = 1 + (next() % 10);
  const consumer = ['c1', 'c2', 'c3'][next() % 3]!;
  // The UTS job body has no provider: only usages sent through the mutation name one.
  const provider = i >= 200 && i % 5 === 0 ? 'p2' : 'default';
  const datetime = `${day(d)}T${String(next() % 24).padStart(2, '0')}:${String(next() % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`;
  sent.push({ consumer, provider, day: day(d), value: (next() % 400) / 4, datetime });
}

const toInput = (s: Sent, i: number): UsageIngestInput => ({
  tenantId: s.consumer,
  application: 'agg-app',
  resource: `meter-${i}`,
  unit: 'kwh',
  value: s.value,
  datetime: s.datetime,
  provider: s.provider === 'default' ? null : s.provider,
});

/** The expected value, computed without the server's code: group, fold per day, fold per month. */
function expected(
  consumer: string,
  provider: string,
  daily: (values: number[]) => number,
  monthly: (values: number[]) => number,
  prefill: boolean,
  list = sent,
) {
  const mine = list.filter((s) => s.consumer === consumer && s.provider === provider).sort((a, b) => a.datetime.localeCompare(b.datetime));
  const days = new Map<string, number[]>();
  for (const s of mine) days.set(s.day, [...(days.get(s.day) ?? []), s.value]);
  const values: number[] = [];
  for (let d = 1; d <= lastDay; d++) {
    const v = days.get(day(d));
    if (v) values.push(daily(v));
    else if (prefill) values.push(0);
  }
  return monthly(values);
}
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const max = (v: number[]) => Math.max(...v);
const min = (v: number[]) => Math.min(...v);
const last = (v: number[]) => v[v.length - 1]!;

async function finished(id: string) {
  const job = await waitUntil(
    `ingestion job ${id} to finish`,
    async () => (await stack.rest('GET', `${base}/usagesJobs/${id}`)).body,
    (body) => body.status === 'COMPLETED' || body.status === 'ERRORS',
  );
  expect(job.status, JSON.stringify(job)).toBe('COMPLETED');
}

const monthly = async (kpiName: string, consumer?: string) =>
  dataOf(await stack.request(MonthlyAggregatesDocument, { application: 'agg-app', kpiName, month, consumer, limit: 100 })).monthlyUsageAggregates;

beforeAll(async () => {
  stack = await startStack('ingestion_aggregates', { INGEST_LATE_WINDOW_DAYS: '400' });
  const kpis: KpiInput[] = [
    { application: 'agg-app', name: 'kwh', displayName: 'energy', unit: 'kwh' },
    { application: 'agg-app', name: 'kwh-peak', unit: 'kwh', dailyFunction: 'MAX', monthlyFunction: 'MAX', preFill: 'NONE' },
    { application: 'agg-app', name: 'kwh-min', unit: 'kwh', dailyFunction: 'SUM', monthlyFunction: 'MIN', preFill: 'ZERO' },
    { application: 'agg-app', name: 'kwh-min-none', unit: 'kwh', dailyFunction: 'MIN', monthlyFunction: 'MIN', preFill: 'NONE' },
    { application: 'agg-app', name: 'kwh-last', unit: 'kwh', dailyFunction: 'LAST', monthlyFunction: 'LAST', preFill: 'NONE' },
    { application: 'agg-app', name: 'kwh-count', unit: 'kwh', dailyFunction: 'COUNT', monthlyFunction: 'SUM', preFill: 'ZERO' },
    { application: 'agg-app', name: 'kwh-days', unit: 'kwh', dailyFunction: 'SUM', monthlyFunction: 'COUNT', preFill: 'ZERO' },
  ];
  for (const input of kpis) dataOf(await stack.request(CreateKpiDocument, { input }));
  // Half through the REST jobs (200 per request), half through the mutation.
  const inputs = sent.map(toInput);
  const viaJobs = inputs.slice(0, 200);
  const job = await stack.rest('POST', `${base}/usagesJobs`, {
    users: viaJobs.map((u) => ({
      tenantId: u.tenantId,
      resources: [{ application: u.application, resource: u.resource, usages: [{ value: u.value, unit: u.unit, datetime: u.datetime }] }],
    })),
  });
  expect(job.status, JSON.stringify(job.body)).toBe(201);
  await finished(job.body.id);
  const rest = dataOf(await stack.request(IngestUsagesDocument, { usages: inputs.slice(200) })).ingestProductUsages;
  expect(rest.storedCount).toBe(60);
});
afterAll(async () => {
  await stack?.close();
});

async function monthlyValuesMatch() {
  const cases: [string, (v: number[]) => number, (v: number[]) => number, boolean][] = [
    ['kwh', sum, sum, true],
    ['kwh-peak', max, max, false],
    ['kwh-min', sum, min, true],
    ['kwh-min-none', min, min, false],
    ['kwh-last', last, last, false],
    ['kwh-count', (v) => v.length, sum, true],
    ['kwh-days', sum, (v) => v.length, true],
  ];
  for (const [kpiName, daily, fold, prefill] of cases) {
    const result = await monthly(kpiName);
    expect(result.aggregationUntilDate).toBe(day(lastDay));
    // Sorted by consumer, then provider (c1 default, c1 p2, c2 ...).
    const groups = ['c1', 'c2', 'c3']
      .flatMap((c) => ['default', 'p2'].map((p) => [c, p] as const))
      .filter(([c, p]) => sent.some((s) => s.consumer === c && s.provider === p));
    expect(result.items.map((i) => [kpiName, i.consumer, i.provider, i.period, i.value, i.usagesCount])).toEqual(
      groups.map(([c, p]) => [kpiName, c, p, month, expected(c, p, daily, fold, prefill), sent.filter((s) => s.consumer === c && s.provider === p).length]),
    );
  }
}

describe('KPI aggregates', () => {
  // First while the days' rollups are still marked (computed from the usages), then from the rollups.
  it('gives monthly values per consumer and provider for each aggregation function', async () => {
    await monthlyValuesMatch();
  });

  it('gives the same values from the rollups once they are recomputed', async () => {
    await rollupsSettled(stack.db);
    expect(await stack.db.collection('kpiDayRollups').countDocuments({ application: 'agg-app' })).toBeGreaterThan(0);
    await monthlyValuesMatch();
  });

  it('gives daily values, prefilled with zero on days without usages', async () => {
    const { dailyUsageAggregates: result } = dataOf(
      await stack.request(DailyAggregatesDocument, { application: 'agg-app', kpiName: 'kwh', from: day(1), to: day(12), consumer: 'c1', limit: 100 }),
    );
    expect(result.kpi).toMatchObject({ name: 'kwh', displayName: 'energy' });
    const rows = result.items.filter((r) => r.provider === 'default');
    expect(rows.map((r) => r.period)).toEqual(Array.from({ length: 12 }, (_, i) => day(i + 1)));
    expect(rows.map((r) => r.value)).toEqual(
      rows.map((r) => sum(sent.filter((s) => s.consumer === 'c1' && s.provider === 'default' && s.day === r.period).map((s) => s.value))),
    );
    expect(rows.slice(10).map((r) => [r.value, r.usagesCount])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const bad = await stack.request(DailyAggregatesDocument, { application: 'agg-app', kpiName: 'kwh', from: day(5), to: day(1) });
    expect(bad.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const unknown = await stack.request(DailyAggregatesDocument, { application: 'agg-app', kpiName: 'nope', from: day(1), to: day(2) });
    expect(unknown.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  });

  it('folds a late usage into the month it belongs to, and refuses one beyond the late window', async () => {
    const before = (await monthly('kwh', 'c2')).items.find((i) => i.provider === 'default')!.value;
    const late: Sent = { consumer: 'c2', provider: 'default', day: day(20), value: 12.5, datetime: `${day(20)}T08:00:00Z` };
    const tooLate = { ...toInput(late, 9001), datetime: new Date(Date.now() - 401 * 86_400_000).toISOString() };
    const result = dataOf(await stack.request(IngestUsagesDocument, { usages: [toInput(late, 9000), tooLate] })).ingestProductUsages;
    expect(result.errors.map((e) => [e.index, e.rule])).toEqual([[1, 'lateWindow']]);
    const after = (await monthly('kwh', 'c2')).items.find((i) => i.provider === 'default')!.value;
    expect(after).toBe(before + 12.5);
    expect(after).toBe(expected('c2', 'default', sum, sum, true, [...sent, late]));
    sent.push(late);
  });

  it('serves the monthly aggregates in the UTS shapes', async () => {
    const consumer = await stack.rest(
      'GET',
      `${base}/aggregatedMonthlyConsumerUsage?month=${monthNumber}&year=${month.slice(0, 4)}&application=agg-app&KPIName=kwh&consumer=c1&provider=default`,
    );
    expect(consumer.status, JSON.stringify(consumer.body)).toBe(200);
    const fn = { aggregationFunctionDaily: 'SUM', aggregationFunctionMonthly: 'SUM', preFill: 'ZERO' };
    const monthName = previous.toLocaleString('en', { month: 'long', timeZone: 'UTC' }).toLowerCase();
    expect(consumer.body).toEqual({
      consumer: 'c1',
      value: expected('c1', 'default', sum, sum, true),
      provider: 'default',
      application: 'agg-app',
      applicationDisplayName: 'agg-app',
      KPIName: 'kwh',
      KPIDisplayName: 'energy',
      aggregationUntilDate: day(lastDay),
      year: month.slice(0, 4),
      month: monthName,
      aggregationFunction: fn,
      aggragationFunction: fn,
    });
    const provider = await stack.rest(
      'GET',
      `${base}/aggregatedMonthlyProviderUsage?month=${monthName}&year=${month.slice(0, 4)}&application=agg-app&KPIName=kwh&provider=default&page=1&size=2`,
    );
    expect(provider.status).toBe(200);
    expect(provider.body).toEqual({
      provider: 'default',
      application: 'agg-app',
      applicationDisplayName: 'agg-app',
      KPIName: 'kwh',
      KPIDisplayName: 'energy',
      aggregationUntilDate: day(lastDay),
      year: month.slice(0, 4),
      month: monthName,
      aggregatedUsages: [{ consumer: 'c3', value: expected('c3', 'default', sum, sum, true) }],
      aggregationFunction: fn,
      aggragationFunction: fn,
      page: { number: 1, size: 2, totalElements: 3, totalPages: 2 },
    });
  });
});
