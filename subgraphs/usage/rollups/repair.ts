import type { Db } from 'mongodb';
import type { Logger } from '../../../platform/logger.js';
import { ProductUsageRepository } from '../product-usage/repository.js';
import type { Bucket } from './buckets.js';
import { defaultRollupTiming, RollupMaintainer, type RollupTiming } from './maintainer.js';
import { MarkRepository } from './marks.js';
import { HourRollupRepository, KpiDayRollupRepository } from './repository.js';
import { MeterHourRollupRepository } from './meter-repository.js';

/**
 * The repair pass: recounts every tenant's usages by hour and by KPI day (count and sum) in the
 * database, compares them with the rollups, and marks each bucket that differs, for the maintainer
 * to recompute (so the repair never races a write: it only says "look again"). It finds what the
 * marks cannot see: usages written around the API (a bulk load with the driver) and a write stalled
 * past the maintainer's settle time whose process then died (maintainer.ts). One aggregate per
 * tenant and collection: minutes of database time at hundreds of millions of usages, so it runs
 * rarely (ROLLUP_REPAIR_MINUTES) and on demand (`npm run rollups:repair`).
 */
export class RollupRepair {
  constructor(
    private readonly usages: ProductUsageRepository,
    private readonly hours: HourRollupRepository,
    private readonly kpiDays: KpiDayRollupRepository,
    private readonly meterHours: MeterHourRollupRepository,
    private readonly maintainer: RollupMaintainer,
  ) {}

  /** Marks every bucket whose rollup differs from its usages; returns how many. */
  async pass(): Promise<number> {
    let marked = 0;
    const tenants = new Set([...(await this.usages.tenants()), ...(await this.hours.tenants())]);
    for (const tenant of tenants) {
      const wrong: Bucket[] = [];
      const [actualHours, storedHours] = await Promise.all([this.usages.forTenant(tenant).allHourCounts(), this.hours.allOf(tenant)]);
      for (const [hour, count] of actualHours) if (storedHours.get(hour) !== count) wrong.push({ kind: 'hour', hour: hour === null ? null : new Date(hour) });
      for (const hour of storedHours.keys()) if (!actualHours.has(hour)) wrong.push({ kind: 'hour', hour: hour === null ? null : new Date(hour) });
      // The meter rollups' counts too (they are recomputed with the hour): an hour they lack (rollups
      // made before meter rollups existed, or usages loaded around the API) is marked.
      // The meter summaries likewise (meter-summaries.ts: rollups made before summaries existed, or
      // summaries stored before their cells were packed or before `specQuarters`, which summaryCountsOf leaves out).
      const [metered, storedMeters, summarized] = await Promise.all([
        this.usages.forTenant(tenant).allHourCounts({ countedByMeters: true }),
        this.meterHours.countsOf(tenant),
        this.meterHours.summaryCountsOf(tenant),
      ]);
      const alreadyWrong = new Set(wrong.map((bucket) => (bucket.kind === 'hour' ? (bucket.hour?.getTime() ?? null) : undefined)));
      const markHour = (hour: number) => {
        if (alreadyWrong.has(hour)) return;
        alreadyWrong.add(hour);
        wrong.push({ kind: 'hour', hour: new Date(hour) });
      };
      for (const stored of [storedMeters, summarized]) {
        for (const [hour, count] of metered) if (hour !== null && stored.get(hour) !== count) markHour(hour);
        for (const hour of stored.keys()) if (!metered.has(hour)) markHour(hour);
      }
      const [actualDays, storedDays] = await Promise.all([this.usages.forTenant(tenant).allKpiDayTotals(), this.kpiDays.totalsOf(tenant)]);
      for (const [key, totals] of actualDays) {
        const stored = storedDays.get(key);
        if (!stored || stored.count !== totals.count || !nearly(stored.sum, totals.sum)) wrong.push(kpiBucket(key));
      }
      for (const key of storedDays.keys()) if (!actualDays.has(key)) wrong.push(kpiBucket(key));
      if (wrong.length) await this.maintainer.markBuckets(tenant, wrong);
      marked += wrong.length;
    }
    return marked;
  }
}

/** Sums added in another order differ in their last bits. */
const nearly = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function kpiBucket(key: string): Bucket {
  const [application, unit, day] = JSON.parse(key) as [string, string, string];
  return { kind: 'kpiDay', application, unit, day };
}

/** A database's rollup repositories, a maintainer over them with `timing`, and a repair pass, in this process. */
export async function openRollups(db: Db, timing: RollupTiming, log: Logger) {
  const [usages, marks, hours, kpiDays, meterHours] = await Promise.all([
    ProductUsageRepository.open(db),
    MarkRepository.open(db),
    HourRollupRepository.open(db),
    KpiDayRollupRepository.open(db),
    MeterHourRollupRepository.open(db),
  ]);
  const maintainer = new RollupMaintainer(marks, hours, kpiDays, meterHours, usages, timing, log);
  return { marks, maintainer, repair: new RollupRepair(usages, hours, kpiDays, meterHours, maintainer) };
}

/**
 * A repair pass and the recomputation of what it marked, in this process, at once: what an operator
 * runs after loading usages around the API (`npm run rollups:repair`), and the bench after seeding.
 */
export async function repairRollups(db: Db, log: Logger): Promise<{ marked: number; seconds: number }> {
  const start = performance.now();
  // No settle time: the marks this pass makes cover writes that have landed already.
  const { maintainer, repair } = await openRollups(db, { ...defaultRollupTiming, settleMs: 0 }, log);
  const marked = await repair.pass();
  await maintainer.drain();
  return { marked, seconds: (performance.now() - start) / 1000 };
}
