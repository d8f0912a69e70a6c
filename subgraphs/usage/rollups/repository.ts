import type { Db, Document, Filter } from 'mongodb';
import { backgroundComment, withDriverErrors } from '../../../platform/mongo.js';
import { DocumentRepository, type IndexKey } from '../../shared/repository.js';
import { kpiDayKey } from './buckets.js';

/** How many usages of a tenant have their usageDate in one UTC hour (`hour` null: no usageDate). */
export interface HourRollupDocument {
  _id: string;
  tenant: string;
  hour: Date | null;
  count: number;
}

/**
 * One day of one KPI's ingested usages for one consumer and provider, folded by every daily function
 * at once (a KPI's function can change; the rollup need not): `last` is the value of the latest by
 * usageDate, then id.
 */
export interface KpiDayRollupDocument {
  _id: string;
  tenant: string;
  application: string;
  unit: string;
  day: string;
  month: string;
  consumer: string;
  provider: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}

export type KpiDayValues = Pick<KpiDayRollupDocument, 'consumer' | 'provider' | 'day' | 'count' | 'sum' | 'min' | 'max' | 'last'>;

/** The hourly counts: one document per tenant and hour that holds usages. */
export class HourRollupRepository extends DocumentRepository<HourRollupDocument> {
  static async open(db: Db): Promise<HourRollupRepository> {
    return new HourRollupRepository(await this.collectionWithIndexes<HourRollupDocument>(db, 'usageHourRollups', [{ tenant: 1, hour: 1 }]), 'hourly rollup');
  }

  /** Stores the counts of these hours of `tenant` (a count of 0 removes the hour). */
  async replace(tenant: string, counts: ReadonlyMap<string, { hour: Date | null; count: number }>): Promise<void> {
    if (!counts.size) return;
    await withDriverErrors(
      () =>
        this.collection.bulkWrite(
          [...counts].map(([_id, { hour, count }]) =>
            count ? { updateOne: { filter: { _id }, update: { $set: { tenant, hour, count } }, upsert: true } } : { deleteOne: { filter: { _id } } },
          ),
          { ordered: false, comment: backgroundComment },
        ),
      'Storing hourly rollups',
    );
  }

  /** The tenant's usages counted in every hour but `except`. `what` names the read the client asked for, in an error. */
  async total(tenant: string, except: readonly (Date | null)[], what: string): Promise<number> {
    const match: Filter<HourRollupDocument> = except.length ? { tenant, hour: { $nin: [...except] } } : { tenant };
    const [row] = await withDriverErrors(
      () => this.collection.aggregate<{ count: number }>([{ $match: match }, { $group: { _id: null, count: { $sum: '$count' } } }], this.bounded).toArray(),
      what,
    );
    return row?.count ?? 0;
  }

  /** Every stored hour of `tenant` (its start in ms, null for no usageDate) and its count: the repair pass compares them with a recount. */
  async allOf(tenant: string): Promise<Map<number | null, number>> {
    const rows = await withDriverErrors(() => this.collection.find({ tenant }, { projection: { hour: 1, count: 1 } }).toArray(), 'Reading hourly rollups');
    return new Map(rows.map((row) => [row.hour?.getTime() ?? null, row.count]));
  }

  /** The tenants that have rollups (the repair pass). */
  async tenants(): Promise<string[]> {
    return withDriverErrors(() => this.collection.distinct('tenant'), 'Reading hourly rollups');
  }
}

/** The daily KPI values: one document per tenant, KPI, day, consumer and provider. */
export class KpiDayRollupRepository extends DocumentRepository<KpiDayRollupDocument> {
  static async open(db: Db): Promise<KpiDayRollupRepository> {
    const indexes: IndexKey[] = [
      { tenant: 1, application: 1, unit: 1, day: 1 },
      { tenant: 1, application: 1, unit: 1, month: 1 },
    ];
    return new KpiDayRollupRepository(await this.collectionWithIndexes<KpiDayRollupDocument>(db, 'kpiDayRollups', indexes), 'daily KPI rollup');
  }

  /** Replaces one KPI day of `tenant` with `rows` (rows of groups gone since are removed). */
  async replace(tenant: string, key: { application: string; unit: string; day: string }, rows: readonly KpiDayValues[]): Promise<void> {
    const ids = rows.map((row) => JSON.stringify([tenant, key.application, key.unit, key.day, row.consumer, row.provider]));
    await withDriverErrors(async () => {
      if (rows.length)
        await this.collection.bulkWrite(
          rows.map((row, n) => ({
            updateOne: { filter: { _id: ids[n]! }, update: { $set: { tenant, ...key, month: key.day.slice(0, 7), ...row } }, upsert: true },
          })),
          { ordered: false, comment: backgroundComment },
        );
      await this.collection.deleteMany({ tenant, ...key, _id: { $nin: ids } }, { comment: backgroundComment });
    }, 'Storing daily KPI rollups');
  }

  /** Per KPI day of `tenant` (kpiDayKey), the count and sum of its rows: the repair pass compares them with a recount. */
  async totalsOf(tenant: string): Promise<Map<string, { count: number; sum: number }>> {
    const rows = await withDriverErrors(
      () =>
        this.collection
          .aggregate<{ _id: { a: string; u: string; d: string }; count: number; sum: number }>([
            { $match: { tenant } },
            { $group: { _id: { a: '$application', u: '$unit', d: '$day' }, count: { $sum: '$count' }, sum: { $sum: '$sum' } } },
          ])
          .toArray(),
      'Reading daily KPI rollups',
    );
    return new Map(rows.map(({ _id, count, sum }) => [kpiDayKey(_id.a, _id.u, _id.d), { count, sum }]));
  }

  /** The stored days of one KPI of `tenant` matching `period` (a `day` range or a `month`), but the days `except`. */
  async days(tenant: string, filter: Filter<KpiDayRollupDocument>, except: readonly string[]): Promise<KpiDayValues[]> {
    const match: Document = { ...filter, tenant, ...(except.length ? { $and: [{ day: { $nin: [...except] } }] } : {}) };
    return withDriverErrors(
      () =>
        this.collection
          .find(match, { ...this.bounded, projection: { _id: 0, consumer: 1, provider: 1, day: 1, count: 1, sum: 1, min: 1, max: 1, last: 1 } })
          .toArray() as Promise<KpiDayValues[]>,
      'Aggregating usages',
    );
  }
}
