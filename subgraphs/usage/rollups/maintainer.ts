import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../platform/logger.js';
import type { ProductUsageDocument } from '../product-usage/documents.js';
import type { ProductUsageRepository } from '../product-usage/repository.js';
import { bucketId, bucketsOfAll, hourMs, type Bucket } from './buckets.js';
import type { MarkDocument, MarkRepository } from './marks.js';
import type { HourRollupRepository, KpiDayRollupRepository } from './repository.js';
import type { MeterHourRollupRepository } from './meter-repository.js';

export interface RollupTiming {
  /** A mark younger than this is left alone: the write that made it may not have landed yet. */
  settleMs: number;
  /** How long a claim holds before another maintainer may take the mark over. */
  claimMs: number;
  /** Marks recomputed per round. */
  batch: number;
}

export const defaultRollupTiming: RollupTiming = { settleMs: 1_000, claimMs: 30_000, batch: 500 };

/**
 * Keeps the rollups (hourly counts, daily KPI values) as the usages are, without transactions
 * (FerretDB has none) and without increments that a retry or a killed process would apply twice:
 * a rollup bucket is only ever recomputed whole from its usages.
 *
 * Every usage write marks its buckets (the usage's as before and as after the write) twice: before
 * the write, so a process that stops after the write has landed still leaves the mark, and after it,
 * so a maintainer that recomputed in between (while the write was in flight) does it again. The
 * maintainer claims marks older than `settleMs`, recomputes their buckets, stores them, and removes a
 * mark only if no write marked it since its claim (`seq`). A reader of a rollup treats a marked
 * bucket as unknown and computes it from the usages instead, so counts and KPI values are exact at
 * every moment, not eventually. The repair pass (repair.ts) marks buckets whose rollup differs
 * from a recount, for what this cannot see: usages written around the API (a bulk load with the
 * driver), or a write stalled longer than `settleMs` between its first mark and its landing whose
 * process then died before the second mark.
 */
export class RollupMaintainer {
  private readonly owner = randomUUID();

  constructor(
    private readonly marks: MarkRepository,
    private readonly hours: HourRollupRepository,
    private readonly kpiDays: KpiDayRollupRepository,
    private readonly meterHours: MeterHourRollupRepository,
    private readonly usages: ProductUsageRepository,
    private readonly timing: RollupTiming,
    private readonly log: Logger,
  ) {}

  /**
   * Runs `write`, which stores, changes or removes `usages` (each as it was and as it will be) of
   * `tenant`, between the two marks of their buckets. A failed first mark fails the write (nothing
   * written); a failed second one is logged (the first still covers a write that landed).
   */
  async around<T>(tenant: string, usages: readonly (ProductUsageDocument | null | undefined)[], write: () => Promise<T>): Promise<T> {
    const buckets = bucketsOfAll(
      tenant,
      usages.filter((usage): usage is ProductUsageDocument => Boolean(usage)),
    );
    await this.marks.mark(tenant, buckets, new Date());
    const result = await write();
    await this.marks.mark(tenant, buckets, new Date()).catch((error: unknown) => this.log.warn('could not mark rollups after a write', error));
    return result;
  }

  /** Marks buckets directly (the repair pass). */
  markBuckets(tenant: string, buckets: readonly Bucket[]): Promise<void> {
    return this.marks.mark(tenant, new Map(buckets.map((bucket) => [bucketId(tenant, bucket), bucket])), new Date());
  }

  /** One round: recomputes the buckets of settled marks. Returns how many marks it handled. */
  async round(): Promise<number> {
    const now = Date.now();
    const claimed = await this.marks.claim(new Date(now - this.timing.settleMs), this.owner, new Date(now + this.timing.claimMs), this.timing.batch);
    if (!claimed.length) return 0;
    const byTenant = new Map<string, MarkDocument[]>();
    for (const mark of claimed) byTenant.set(mark.tenant, [...(byTenant.get(mark.tenant) ?? []), mark]);
    for (const [tenant, marks] of byTenant) {
      const usages = this.usages.forTenant(tenant);
      const hours = marks.flatMap((mark) => (mark.kind === 'hour' ? [mark] : []));
      // A tenant's marked hours recomputed in one read per day at most (a range of ORed hours): their
      // counts and meter rollups from the same usages, under the same marks. Usages without usageDate
      // (the null hour) have no meter rollup, only a count.
      for (const day of groupBy(hours, (mark) => (mark.hour ? Math.floor(mark.hour.getTime() / (24 * hourMs)) : -1)).values()) {
        const dated = day.flatMap((mark) => (mark.hour ? [mark.hour] : []));
        const { counts, meter } = await usages.hourRollups(dated, { background: true });
        const undated = dated.length < day.length ? await usages.countByHour([null], { background: true }) : new Map<null, number>();
        const countOf = (hour: Date | null) => (hour ? counts.get(hour.getTime()) : undated.get(null)) ?? 0;
        await this.hours.replace(tenant, new Map(day.map((mark) => [mark._id, { hour: mark.hour, count: countOf(mark.hour) }])));
        await this.meterHours.replace(tenant, dated, meter);
      }
      for (const mark of marks) {
        if (mark.kind !== 'kpiDay') continue;
        const key = { application: mark.application, unit: mark.unit, day: mark.day };
        const rows = await usages.kpiDays({ 'ingest.application': key.application, 'ingest.unit': key.unit, 'ingest.day': key.day }, { background: true });
        await this.kpiDays.replace(tenant, key, rows);
      }
    }
    await this.marks.release(claimed, this.owner);
    return claimed.length;
  }

  /** Rounds until no settled mark is left (tests, and the bench after a bulk load). */
  async drain(): Promise<void> {
    while ((await this.round()) > 0);
  }
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
