import type { Db, Document, Filter, Sort, UpdateFilter } from 'mongodb';
import { withDriverErrors } from '../shared/mongo.js';
import { DocumentRepository, type IndexKey, type IndexSpec } from '../shared/repository.js';
import { defaultUsageSort, usagePaths } from './filters.js';
import type { KpiDocument } from '../specification/ingestion-catalogue.js';
import type { PendingEvent, ProductUsageDocument } from './mappers.js';

export const usageCollectionName = 'productUsages';

/**
 * Every field the API filters or sorts on, plus the default sort, each after `tenant`: every query
 * runs within one tenant (README, "Tenant isolation").
 */
const indexes: (IndexKey | IndexSpec)[] = [
  { tenant: 1, ...(defaultUsageSort as IndexKey) },
  { tenant: 1, status: 1 },
  { tenant: 1, usageType: 1 },
  { tenant: 1, usageDate: 1 },
  { tenant: 1, lastUpdate: 1 },
  { tenant: 1, [usagePaths.usageSpecificationId]: 1 },
  // A specification's usages in one status (the console's and partners' most common pair): without
  // it the planner took {tenant, status}, hundreds of thousands of entries for `rated`, over the
  // specification's few thousand (bench/RESULTS.md, volume).
  { tenant: 1, [usagePaths.usageSpecificationId]: 1, status: 1 },
  { tenant: 1, [usagePaths.relatedPartyId]: 1 },
  { tenant: 1, [usagePaths.relatedPartyRole]: 1 },
  { tenant: 1, [usagePaths.productId]: 1 },
  { tenant: 1, [usagePaths.externalIdentifierId]: 1 },
  // Attributes the TMF lists (v5 and v4) filter on that a partner plausibly narrows by: the usage's
  // @type, and the specification and product by name. Other `where` paths are filtered within the
  // tenant's index range (docs/database.md, "Indexes and plans").
  { tenant: 1, type: 1 },
  { tenant: 1, 'usageSpecification.name': 1 },
  { tenant: 1, 'product.name': 1 },
  // Aggregates of ingested usages: one KPI (application and unit) in one month or range of days.
  { tenant: 1, 'ingest.application': 1, 'ingest.unit': 1, 'ingest.month': 1 },
  { tenant: 1, 'ingest.application': 1, 'ingest.unit': 1, 'ingest.day': 1 },
  // The outbox sweep (hub-outbox.ts): only usages with events not yet relayed are in it, normally none.
  { key: { 'outbox.seq': 1 }, sparse: true },
];

/** One day's usages of one consumer and provider, folded in the database: their value by one function, and their number. */
export interface DayGroup {
  consumer: string;
  provider: string;
  day: string;
  value: number;
  count: number;
}

/** How a KPI's daily function folds the values of a day's usages, as a $group accumulator. */
const dayAccumulators: Record<KpiDocument['dailyFunction'], Document> = {
  SUM: { $sum: '$ingest.value' },
  COUNT: { $sum: 1 },
  MIN: { $min: '$ingest.value' },
  MAX: { $max: '$ingest.value' },
  // The value of the day's latest usage: the pipeline sorts by usageDate (then _id) first.
  LAST: { $last: '$ingest.value' },
};

/** Matches revision `rev`: a usage never updated has no `rev` field. */
const revision = (rev: number | undefined) => (rev === undefined ? { $exists: false } : rev);

/** The only code that touches the productUsages collection. */
export class ProductUsageRepository extends DocumentRepository<ProductUsageDocument> {
  /** Set by the server on every create and ingestion (mappers.ts, ingestion.ts). */
  protected override readonly alwaysPresent: ReadonlySet<string> = new Set(['_id', 'creationDate', 'lastUpdate']);
  protected override readonly serverTimes: ReadonlySet<string> = new Set(['creationDate', 'lastUpdate']);
  /** A usage marked deleted waits only for its event to be relayed (hub-outbox.ts): by id it is gone already. */
  protected override readonly live: Filter<ProductUsageDocument> = { deletedAt: { $exists: false } };

  static async open(db: Db): Promise<ProductUsageRepository> {
    return new ProductUsageRepository(await this.collectionWithIndexes<ProductUsageDocument>(db, usageCollectionName, indexes), 'usage');
  }

  /** Every usage matching `filter`, in order, read in batches: memory stays flat whatever the count. */
  stream(filter: Filter<ProductUsageDocument>, sort: Sort): AsyncIterable<ProductUsageDocument> {
    // No maxTimeMS: an export reads for as long as it takes (DB_TIMEOUT_MS bounds a request's reads,
    // and this cursor outlives every request).
    return this.collection.find(this.scope(filter)).sort(sort).batchSize(1_000);
  }

  /**
   * Applies `update` to the usage if it is still at revision `rev` (the one its events were computed
   * from), storing `pending` with it in the same write. Null when it is gone or changed in between.
   */
  updateRevision(
    id: string,
    rev: number | undefined,
    update: UpdateFilter<ProductUsageDocument>,
    pending: readonly PendingEvent[],
  ): Promise<ProductUsageDocument | null> {
    return withDriverErrors(
      () =>
        this.collection.findOneAndUpdate(
          this.scope({ _id: id, rev: revision(rev), ...this.live }),
          { ...update, $inc: { rev: 1 }, ...(pending.length ? { $push: { outbox: { $each: [...pending] } } } : {}) },
          { returnDocument: 'after' },
        ),
      'Updating a usage',
    );
  }

  /**
   * Deletes the usage if it is still at revision `rev`. With events to relay (`pending`, or `holding`
   * ones of an earlier write) it is marked deleted and carries them (the relay removes it once they are
   * queued); without, it goes at once.
   */
  deleteRevision(id: string, rev: number | undefined, pending: readonly PendingEvent[], holding: boolean): Promise<ProductUsageDocument | null> {
    const filter = this.scope({ _id: id, rev: revision(rev), ...this.live });
    return withDriverErrors(
      () =>
        pending.length || holding
          ? this.collection.findOneAndUpdate(
              filter,
              { $set: { deletedAt: new Date() }, $push: { outbox: { $each: [...pending] } } },
              { returnDocument: 'after' },
            )
          : this.collection.findOneAndDelete(filter),
      'Deleting a usage',
    );
  }

  /** Usages with events waiting since before `seqBefore` (microseconds), across tenants: the outbox sweep's. */
  withPendingEvents(seqBefore: number, limit: number): Promise<ProductUsageDocument[]> {
    return withDriverErrors(
      () =>
        this.collection
          .find({ 'outbox.seq': { $lt: seqBefore } })
          .limit(limit)
          .toArray(),
      'Reading pending events',
    );
  }

  /**
   * Takes relayed events off their usages: the events named, not others a later write added; an
   * emptied outbox field goes (so the sparse index stays small), and so does a usage marked deleted.
   */
  async settleOutbox(ids: readonly string[], eventIds: readonly string[]): Promise<void> {
    const these = { _id: { $in: [...ids] } };
    await withDriverErrors(async () => {
      await this.collection.updateMany(these, { $pull: { outbox: { eventId: { $in: [...eventIds] } } } });
      await this.collection.deleteMany({ ...these, deletedAt: { $exists: true }, outbox: { $size: 0 } });
      await this.collection.updateMany({ ...these, outbox: { $size: 0 } }, { $unset: { outbox: '' } });
    }, 'Settling relayed events');
  }

  /**
   * Per consumer, provider and day: the values of the usages matching `filter` folded by `fn`, and
   * how many there are, in one aggregate.
   */
  async dayGroups(filter: Filter<ProductUsageDocument>, fn: KpiDocument['dailyFunction']): Promise<DayGroup[]> {
    const pipeline: Document[] = [
      { $match: this.scope(filter) },
      ...(fn === 'LAST' ? [{ $sort: { usageDate: 1, _id: 1 } }] : []),
      { $group: { _id: { c: '$ingest.tenant', p: '$ingest.provider', d: '$ingest.day' }, value: dayAccumulators[fn], count: { $sum: 1 } } },
    ];
    const rows = await withDriverErrors(
      () => this.collection.aggregate<{ _id: { c: string; p: string; d: string }; value: number; count: number }>(pipeline, this.bounded).toArray(),
      'Aggregating usages',
    );
    return rows.map(({ _id, value, count }) => ({ consumer: _id.c, provider: _id.p, day: _id.d, value, count }));
  }

  /**
   * How many usages matching `filter` name each of `ids` at `path`, in one aggregate. `path` may
   * run through an array (relatedParty): a usage that names the same party twice counts once.
   */
  async countByRelation(path: string, ids: readonly string[], filter: Filter<ProductUsageDocument>): Promise<Map<string, number>> {
    const match = this.scope({ $and: [filter, { [path]: { $in: [...ids] } }] });
    const pipeline: Document[] = path.startsWith('relatedParty.')
      ? [
          { $match: match },
          { $unwind: '$relatedParty' },
          { $match: { [path]: { $in: [...ids] } } },
          { $group: { _id: { key: `$${path}`, usage: '$_id' } } },
          { $group: { _id: '$_id.key', count: { $sum: 1 } } },
        ]
      : [{ $match: match }, { $group: { _id: `$${path}`, count: { $sum: 1 } } }];
    const rows = await withDriverErrors(
      () => this.collection.aggregate<{ _id: string; count: number }>(pipeline, this.bounded).toArray(),
      'Counting related usages',
    );
    return new Map(rows.map((row) => [row._id, row.count]));
  }
}
