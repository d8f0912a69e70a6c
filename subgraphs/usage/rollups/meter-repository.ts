import type { Db, Document, Filter } from 'mongodb';
import { backgroundComment, withDriverErrors } from '../../../platform/mongo.js';
import { DocumentRepository } from '../../shared/repository.js';

/** The dimensions a meter rollup keeps: those a meter can group and filter by that hold one value per usage. */
export interface MeterDimensions {
  spec: string | null;
  type: string | null;
  status: string;
  product: string | null;
}

/**
 * One UTC hour of a tenant's usages with the same dimensions, folded: `name` null counts the usages;
 * a characteristic's name holds the count, sum, min and max of its numeric values (a usage's first
 * characteristic of that name, as meters/pipeline.ts reads it). Superseded usages are not in it.
 */
export interface MeterHourValues extends MeterDimensions {
  hour: Date;
  name: string | null;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

export interface MeterHourRollupDocument extends MeterHourValues {
  _id: string;
  tenant: string;
}

/**
 * The meter rollups (docs/meters.md, "From the rollups"): recomputed whole per tenant and hour by the
 * maintainer, with the hourly counts and under the same marks (maintainer.ts), so a reader that
 * takes marked hours from the usages sees every acknowledged write.
 */
export class MeterHourRollupRepository extends DocumentRepository<MeterHourRollupDocument> {
  static async open(db: Db): Promise<MeterHourRollupRepository> {
    return new MeterHourRollupRepository(
      await this.collectionWithIndexes<MeterHourRollupDocument>(db, 'meterHourRollups', [{ tenant: 1, hour: 1, name: 1 }]),
      'meter rollup',
    );
  }

  /** Replaces the rollups of these hours of `tenant` with `rows` (every row's hour is one of them). */
  async replace(tenant: string, hours: readonly Date[], rows: readonly MeterHourValues[]): Promise<void> {
    if (!hours.length) return;
    const id = (row: MeterHourValues) => JSON.stringify([tenant, row.hour.toISOString(), row.name, row.spec, row.type, row.status, row.product]);
    await withDriverErrors(async () => {
      // The rows no longer there go first; the hours stay marked meanwhile, so no reader takes them from here.
      await this.collection.deleteMany({ tenant, hour: { $in: [...hours] }, _id: { $nin: rows.map(id) } }, { comment: backgroundComment });
      if (rows.length) {
        await this.collection.bulkWrite(
          rows.map((row) => ({ replaceOne: { filter: { _id: id(row) }, replacement: { ...row, tenant }, upsert: true } })),
          { ordered: false, comment: backgroundComment },
        );
      }
    }, 'Storing meter rollups');
  }

  /** Per hour (its start in ms), the usages the tenant's meter rollups count: the repair pass compares them with a recount. */
  async countsOf(tenant: string): Promise<Map<number, number>> {
    const rows = await withDriverErrors(
      () =>
        this.collection
          .aggregate<{ _id: Date; count: number }>([{ $match: { tenant, name: null } }, { $group: { _id: '$hour', count: { $sum: '$count' } } }], {
            comment: backgroundComment,
          })
          .toArray(),
      'Reading meter rollups',
    );
    return new Map(rows.map((row) => [row._id.getTime(), row.count]));
  }

  /** The tenant's rollups matching `filter` (one characteristic's, or the counts), through `stages`. `what` names the client's read in an error. */
  aggregate<T extends Document>(tenant: string, filter: Filter<MeterHourRollupDocument>, stages: Document[], what: string): Promise<T[]> {
    return withDriverErrors(() => this.collection.aggregate<T>([{ $match: { ...filter, tenant } }, ...stages], this.bounded).toArray(), what);
  }
}
