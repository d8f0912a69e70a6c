import type { Filter } from 'mongodb';
import type { ProductUsageDocument } from '../product-usage/documents.js';
import type { ProductUsageRepository } from '../product-usage/repository.js';
import type { MarkRepository } from './marks.js';
import type { HourRollupRepository, KpiDayRollupDocument, KpiDayRollupRepository, KpiDayValues } from './repository.js';

/**
 * Marked buckets a read computes from the usages before it gives up on the rollups and reads only
 * usages (a bulk write under way marks hundreds of hours; the maintainer catches up within seconds).
 */
const maxMarked = 200;

/** Which days of one KPI: a range of `ingest.day` (inclusive) or one `ingest.month`. */
export type KpiPeriod = { from: string; to: string } | { month: string };

export interface KpiScope {
  application: string;
  unit: string;
  period: KpiPeriod;
  consumer?: string | null;
  provider?: string | null;
}

/**
 * Reads answered from rollups (maintainer.ts): each bucket from its rollup, but the marked ones
 * (behind their usages, or about to be) from the usages, so the answer is the one the usages give.
 * The marks are read first: a bucket unmarked then is one whose rollup already counts every write
 * acknowledged before it.
 */
export class RollupReader {
  constructor(
    private readonly marks: MarkRepository,
    private readonly hours: HourRollupRepository,
    private readonly kpiDays: KpiDayRollupRepository,
  ) {}

  /** How many usages the tenant of `usages` (a tenant's view) has: the count of an unfiltered list. */
  async countAll(usages: ProductUsageRepository): Promise<number> {
    const tenant = usages.tenant!;
    const marked = await this.marks.ofTenant(tenant, 'hour', maxMarked, 'Counting usages');
    if (marked.length > maxMarked) return usages.count({});
    const hours = marked.map((mark) => mark.hour);
    const [stored, fresh] = await Promise.all([this.hours.total(tenant, hours, 'Counting usages'), usages.countByHour(hours)]);
    return stored + [...fresh.values()].reduce((a, b) => a + b, 0);
  }

  /** One KPI's daily values per consumer, provider and day over a period, for the tenant of `usages`. */
  async kpiValues(usages: ProductUsageRepository, scope: KpiScope): Promise<KpiDayValues[]> {
    const tenant = usages.tenant!;
    const { period } = scope;
    const inPeriod = (day: string) => ('month' in period ? day.startsWith(`${period.month}-`) : day >= period.from && day <= period.to);
    const usageFilter = (days: Filter<ProductUsageDocument>): Filter<ProductUsageDocument> => ({
      'ingest.application': scope.application,
      'ingest.unit': scope.unit,
      ...days,
      ...(scope.consumer != null ? { 'ingest.tenant': scope.consumer } : {}),
      ...(scope.provider != null ? { 'ingest.provider': scope.provider } : {}),
    });
    const wholePeriod = 'month' in period ? { 'ingest.month': period.month } : { 'ingest.day': { $gte: period.from, $lte: period.to } };
    const marked = await this.marks.ofTenant(tenant, 'kpiDay', maxMarked, 'Aggregating usages');
    if (marked.length > maxMarked) return usages.kpiDays(usageFilter(wholePeriod));
    const days = [
      ...new Set(marked.filter((mark) => mark.application === scope.application && mark.unit === scope.unit && inPeriod(mark.day)).map((mark) => mark.day)),
    ];
    const rollupFilter: Filter<KpiDayRollupDocument> = {
      application: scope.application,
      unit: scope.unit,
      ...('month' in period ? { month: period.month } : { day: { $gte: period.from, $lte: period.to } }),
      ...(scope.consumer != null ? { consumer: scope.consumer } : {}),
      ...(scope.provider != null ? { provider: scope.provider } : {}),
    };
    const [stored, fresh] = await Promise.all([
      this.kpiDays.days(tenant, rollupFilter, days),
      days.length ? usages.kpiDays(usageFilter({ 'ingest.day': { $in: days } })) : Promise.resolve([]),
    ]);
    return [...stored, ...fresh];
  }
}
