import { badUserInput, notFound } from '../../../platform/errors.js';
import type { Page } from '../../shared/query.js';
import type { AggregationFunction, CatalogueKpi, IngestionCatalogue } from './catalogue.js';
import type { UsageAggregate } from '../generated/resolvers.js';

import type { ProductUsageRepository } from '../product-usage/repository.js';
import type { KpiScope, RollupReader } from '../rollups/reader.js';
import type { KpiDayValues } from '../rollups/repository.js';
import type { AggregatesResult } from './documents.js';

/** One day's value of one consumer and provider. */
export interface DayAggregate {
  consumer: string;
  provider: string;
  day: string;
  value: number;
  count: number;
}

const dayMs = 86_400_000;

/** Every yyyy-mm-dd from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += dayMs) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export function lastDayOfMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/**
 * Folds a month's daily values with one function (a day's usages are folded in the database:
 * ProductUsageRepository.kpiDays, kept in rollups). `values` are in day order (LAST takes the final one); COUNT
 * counts the days folded, prefilled ones included.
 */
export function fold(fn: AggregationFunction, values: readonly number[]): number {
  if (!values.length) return 0;
  switch (fn) {
    case 'SUM':
      return values.reduce((a, b) => a + b, 0);
    case 'COUNT':
      return values.length;
    case 'MIN':
      return values.reduce((a, b) => Math.min(a, b));
    case 'MAX':
      return values.reduce((a, b) => Math.max(a, b));
    case 'LAST':
      return values[values.length - 1]!;
    default:
      throw new Error(`unknown aggregation function ${String(fn)}`);
  }
}

/**
 * Daily values per consumer and provider over `days`, prefilled with zero-value days when the KPI
 * says so (a consumer and provider appear once they have a usage in the range).
 */
export function dailySeries(found: readonly DayAggregate[], days: readonly string[], preFill: 'ZERO' | 'NONE'): Map<string, DayAggregate[]> {
  const byGroup = new Map<string, Map<string, DayAggregate>>();
  for (const row of found) {
    const group = JSON.stringify([row.consumer, row.provider]);
    if (!byGroup.has(group)) byGroup.set(group, new Map());
    byGroup.get(group)!.set(row.day, row);
  }
  const out = new Map<string, DayAggregate[]>();
  for (const group of [...byGroup.keys()].sort()) {
    const [consumer, provider] = JSON.parse(group) as [string, string];
    const rows = byGroup.get(group)!;
    const series = days.flatMap((day) => {
      const row = rows.get(day);
      if (row) return [row];
      return preFill === 'ZERO' ? [{ consumer, provider, day, value: 0, count: 0 }] : [];
    });
    out.set(group, series);
  }
  return out;
}

const dayPattern = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const monthPattern = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A day's value by the KPI's daily function, out of a day's rollup (every function is kept). */
const dailyValue: Record<AggregationFunction, (day: KpiDayValues) => number> = {
  SUM: (day) => day.sum,
  COUNT: (day) => day.count,
  MIN: (day) => day.min,
  MAX: (day) => day.max,
  LAST: (day) => day.last,
};

/**
 * Daily and monthly aggregates of a KPI, by the day and month keys stored on each ingested usage, so
 * a late usage counts in the period it belongs to. A day's values come from its rollup
 * (rollups/reader.ts: every daily function of the day's usages, kept as they are stored, changed and
 * deleted), or from the usages for a day whose rollup is being recomputed; the days of a month are
 * folded here, where the prefilled days exist.
 */
export class UsageAggregator {
  constructor(
    private readonly usages: ProductUsageRepository,
    private readonly rollups: RollupReader,
    private readonly catalogue: IngestionCatalogue,
  ) {}

  private async kpiOf(application: string, kpiName: string): Promise<CatalogueKpi> {
    const kpi = await this.catalogue.kpi(application, kpiName);
    if (!kpi) throw notFound('Kpi', `${application}/${kpiName}`);
    return kpi;
  }

  /** The KPI's days in `period`, each folded by its daily function. */
  private async days(kpi: CatalogueKpi, period: KpiScope['period'], consumer?: string | null, provider?: string | null): Promise<DayAggregate[]> {
    const found = await this.rollups.kpiValues(this.usages, { application: kpi.application, unit: kpi.unit, period, consumer, provider });
    return found.map((day) => ({ consumer: day.consumer, provider: day.provider, day: day.day, value: dailyValue[kpi.dailyFunction](day), count: day.count }));
  }

  async daily(
    args: { application: string; kpiName: string; from: string; to: string; consumer?: string | null; provider?: string | null },
    page: Page,
    today: string,
  ): Promise<AggregatesResult> {
    for (const field of ['from', 'to'] as const) if (!dayPattern.test(args[field])) throw badUserInput(`${field} must be a date yyyy-mm-dd.`, field);
    if (args.from > args.to) throw badUserInput('from must not be after to.', 'from');
    const days = daysBetween(args.from, args.to);
    if (days.length > 366) throw badUserInput('A daily range covers at most 366 days.', 'to');
    const kpi = await this.kpiOf(args.application, args.kpiName);
    const found = await this.days(kpi, { from: args.from, to: args.to }, args.consumer, args.provider);
    const rows = [...dailySeries(found, days, kpi.preFill).values()].flat();
    return {
      kpi: { id: kpi._id },
      aggregationUntilDate: args.to < today ? args.to : today,
      totalCount: rows.length,
      items: rows.slice(page.skip, page.skip + page.limit).map((r) => ({ ...item(kpi, r.consumer, r.provider, r.day, r.value, r.count) })),
    };
  }

  async monthly(
    args: { application: string; kpiName: string; month: string; consumer?: string | null; provider?: string | null },
    page: Page,
    today: string,
  ): Promise<AggregatesResult> {
    if (!monthPattern.test(args.month)) throw badUserInput('month must be yyyy-mm.', 'month');
    const kpi = await this.kpiOf(args.application, args.kpiName);
    const last = lastDayOfMonth(args.month);
    const until = last < today ? last : today;
    const days = until >= `${args.month}-01` ? daysBetween(`${args.month}-01`, until) : [];
    const found = await this.days(kpi, { month: args.month }, args.consumer, args.provider);
    // Days past `until` (usages dated in the future) still count: they are in the month.
    const extra = [...new Set(found.map((r) => r.day).filter((d) => d > until))].sort();
    const series = dailySeries(found, [...days, ...extra], kpi.preFill);
    const rows = [...series.values()].map((daysOfGroup) => {
      const first = daysOfGroup[0]!;
      const count = daysOfGroup.reduce((n, d) => n + d.count, 0);
      return item(
        kpi,
        first.consumer,
        first.provider,
        args.month,
        fold(
          kpi.monthlyFunction,
          daysOfGroup.map((d) => d.value),
        ),
        count,
      );
    });
    return { kpi: { id: kpi._id }, aggregationUntilDate: until, totalCount: rows.length, items: rows.slice(page.skip, page.skip + page.limit) };
  }
}

function item(kpi: CatalogueKpi, consumer: string, provider: string, period: string, value: number, usagesCount: number): UsageAggregate {
  return { consumer, provider, application: kpi.application, unit: kpi.unit, kpiName: kpi.name, period, value, usagesCount };
}
