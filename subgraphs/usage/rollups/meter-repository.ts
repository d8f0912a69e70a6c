import type { Collection, Db, Document, Filter } from 'mongodb';
import { backgroundComment, withDriverErrors } from '../../../platform/mongo.js';
import { DocumentRepository, insertNew } from '../../shared/repository.js';
import {
  foldBy,
  packCells,
  PackedCells,
  summariesOf,
  unpackCells,
  type MeterCell,
  type MeterHourSummaryDocument,
  type SummaryPart,
} from './meter-summaries.js';

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

/** What the maintainer recomputes an hour into: its values by quarter of the hour too (meter-summaries.ts). */
export interface MeterQuarterValues extends MeterHourValues {
  quarter: number;
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
  private constructor(
    collection: Collection<MeterHourRollupDocument>,
    /** The meter summaries (meter-summaries.ts), kept with the rows under the same marks. */
    private readonly summaries: Collection<MeterHourSummaryDocument>,
  ) {
    super(collection, 'meter rollup');
  }

  static async open(db: Db): Promise<MeterHourRollupRepository> {
    return new MeterHourRollupRepository(
      await this.collectionWithIndexes<MeterHourRollupDocument>(db, 'meterHourRollups', [{ tenant: 1, hour: 1, name: 1 }]),
      await this.collectionWithIndexes<MeterHourSummaryDocument>(db, 'meterHourSummaries', [{ tenant: 1, name: 1, part: 1, hour: 1 }]),
    );
  }

  /** Replaces the rollups and summaries of these hours of `tenant` with `rows` (every row's hour is one of them). */
  async replace(tenant: string, hours: readonly Date[], rows: readonly MeterQuarterValues[]): Promise<void> {
    if (!hours.length) return;
    const id = (row: MeterHourValues) => JSON.stringify([tenant, row.hour.toISOString(), row.name, row.spec, row.type, row.status, row.product]);
    const hourRows = foldBy(rows, (row) => [row.hour.getTime(), row.name, row.spec, row.type, row.status, row.product]).map(
      ({ quarter: _quarter, ...row }): MeterHourValues => row,
    );
    const summaries = summariesOf(tenant, rows);
    await withDriverErrors(async () => {
      // Every row and summary of these hours goes, then the new ones are inserted; the hours stay
      // marked meanwhile, so no reader takes them from here. Not an upsert per row and a `$nin`
      // delete of the rest: an hour of fresh usages with a product each has a row per usage, and
      // 5,000 such upserts were most of what the rollups added to storing 5,000 usages
      // (bench/RESULTS.md, volume). Two maintainers recomputing the same hours at once (a claim
      // taken over) insert the same ids; the second's are refused and the marks ask again.
      await this.collection.deleteMany({ tenant, hour: { $in: [...hours] } }, { comment: backgroundComment });
      await insertNew(
        this.collection,
        hourRows.map((row) => ({ ...row, _id: id(row), tenant })),
        'Storing meter rollups',
      );
      await this.summaries.deleteMany({ tenant, hour: { $in: [...hours] } }, { comment: backgroundComment });
      await insertNew(this.summaries, summaries, 'Storing meter rollups');
    }, 'Storing meter rollups');
  }

  /**
   * Per hour (its start in ms), the usages the tenant's meter summaries count: the repair pass
   * compares them with a recount. Hours stored before the cells were packed, or before the
   * summaries by specification and quarter (`specQuarters`), are left out, so the repair pass finds
   * them missing and has them recomputed whole; until then a meter reads such an hour's cut
   * quarters from the usages (meters/rollup-source.ts).
   */
  async summaryCountsOf(tenant: string): Promise<Map<number, number>> {
    return withDriverErrors(async () => {
      const counts = new Map<number, number>();
      const found = this.summaries.find(
        { tenant, name: null, part: 'cells', packed: { $exists: true } },
        { projection: { hour: 1, strings: 1, packed: 1 }, comment: backgroundComment },
      );
      for await (const summary of found)
        counts.set(
          summary.hour.getTime(),
          unpackCells('cells', summary).reduce((total, cell) => total + cell.count, 0),
        );
      const whole = new Set<number>();
      for await (const summary of this.summaries.find({ tenant, name: null, part: 'specQuarters' }, { projection: { hour: 1 }, comment: backgroundComment }))
        whole.add(summary.hour.getTime());
      for (const hour of counts.keys()) if (!whole.has(hour)) counts.delete(hour);
      return counts;
    }, 'Reading meter summaries');
  }

  /**
   * The tenant's summaries of `name` and `part` for the hours in [first, last), or (`only`) of
   * those hours alone. `what` names the client's read in an error.
   */
  async summariesOf(
    tenant: string,
    name: string | null,
    hours: { first: number; last: number } | { only: readonly number[] },
    part: SummaryPart,
    what: string,
  ): Promise<{ hour: Date; cells: PackedCells }[]> {
    const hour = 'only' in hours ? { $in: hours.only.map((t) => new Date(t)) } : { $gte: new Date(hours.first), $lt: new Date(hours.last) };
    const found = await withDriverErrors(
      () =>
        this.summaries
          .find({ tenant, name, part, hour }, { ...this.bounded, projection: { _id: 0, hour: 1, strings: 1, packed: 1, cells: 1 }, batchSize: 1_000 })
          .toArray(),
      what,
    );
    return found.map((summary) => ({ hour: summary.hour, cells: cellsOf(part, summary) }));
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

/**
 * A summary's cells. One stored before the cells were packed holds them as documents (`cells`):
 * packed here until the maintainer or the repair pass (summaryCountsOf) recomputes its hour.
 */
function cellsOf(part: SummaryPart, summary: Partial<MeterHourSummaryDocument> & { cells?: MeterCell[] }): PackedCells {
  const stored = summary.packed ? { strings: summary.strings ?? [], packed: summary.packed } : packCells(part, summary.cells ?? []);
  return new PackedCells(part, stored.strings, stored.packed);
}
