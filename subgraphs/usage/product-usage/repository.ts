import type { Db, Document, Filter, Sort, UpdateFilter } from 'mongodb';
import { backgroundComment, withDriverErrors } from '../../../platform/mongo.js';
import { DocumentRepository, type IndexKey, type IndexSpec } from '../../shared/repository.js';
import { defaultUsageSort, usagePaths } from './filters.js';
import type { PendingEvent, ProductUsageDocument } from './documents.js';
import { hourMs, kpiDayKey } from '../rollups/buckets.js';
import type { KpiDayValues } from '../rollups/repository.js';
import type { MeterQuarterValues } from '../rollups/meter-repository.js';
import { addFold } from '../rollups/meter-summaries.js';
import { uncountedStatus } from '../meters/pipeline.js';

export const usageCollectionName = 'productUsages';

/**
 * Every field the API filters or sorts on, plus the default sort, each after `tenant`: every query
 * runs within one tenant (docs/security.md, "Tenant isolation").
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
  // A measurement's corrections (ProductUsage.history, corrections/writer.ts): only corrections are in
  // it, so the ingestion of millions of usages pays nothing for it. The reads add the tenant.
  { key: { 'correction.original': 1 }, sparse: true },
];

/** The usages of one hour of usageDate (null: those without one), in the query shape the rollups recount. */
const inHour = (hour: Date | null): Filter<ProductUsageDocument> =>
  hour === null ? { usageDate: null } : { usageDate: { $gte: hour, $lt: new Date(hour.getTime() + hourMs) } };

/**
 * The usages a KPI value counts: not superseded ones, which another usage replaced (TMF635; a
 * correction, corrections/writer.ts), as the meters (meters/pipeline.ts). The hourly counts keep them:
 * they count the stored usages a list shows.
 */
const counted: Filter<ProductUsageDocument> = { status: { $ne: uncountedStatus } };

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

  /** A request's read options, or a background worker's (no time limit, named: shared/mongo.ts backgroundComment). */
  private options(background: boolean): { maxTimeMS?: number; comment?: string } {
    return background ? { comment: backgroundComment } : this.bounded;
  }

  /** Usages with events waiting since before `seqBefore` (microseconds), across tenants: the outbox sweep's. */
  withPendingEvents(seqBefore: number, limit: number): Promise<ProductUsageDocument[]> {
    return withDriverErrors(
      () =>
        this.collection
          .find({ 'outbox.seq': { $lt: seqBefore } }, { comment: backgroundComment })
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
   * The live usages matching `filter` (of this view's tenant) through `stages`, streamed: a reader
   * that stops early closes the cursor. Bounded by DB_TIMEOUT_MS like every read a request waits on.
   * For the read models that fold usages (meters/pipeline.ts).
   */
  async *aggregateLive<T extends Document>(filter: Filter<ProductUsageDocument>, stages: Document[]): AsyncGenerator<T> {
    const cursor = this.collection.aggregate<T>([{ $match: this.scope({ ...filter, ...this.live }) }, ...stages], { ...this.bounded, batchSize: 1_000 });
    try {
      for (;;) {
        const row = await withDriverErrors(() => cursor.next(), 'Aggregating usages');
        if (row === null) return;
        yield row;
      }
    } finally {
      await cursor.close();
    }
  }

  /**
   * Per consumer, provider and day, the usages matching `filter` folded by every daily function at
   * once (rollups/repository.ts, KpiDayRollupDocument), in one aggregate: what the KPI rollups store,
   * and what a KPI read computes for the days whose rollups are behind.
   */
  async kpiDays(filter: Filter<ProductUsageDocument>, { background = false } = {}): Promise<KpiDayValues[]> {
    const pipeline: Document[] = [
      { $match: this.scope({ ...filter, ...this.live, ...counted }) },
      { $sort: { usageDate: 1, _id: 1 } },
      {
        $group: {
          _id: { c: '$ingest.tenant', p: '$ingest.provider', d: '$ingest.day' },
          count: { $sum: 1 },
          sum: { $sum: '$ingest.value' },
          min: { $min: '$ingest.value' },
          max: { $max: '$ingest.value' },
          last: { $last: '$ingest.value' },
        },
      },
    ];
    const rows = await withDriverErrors(
      () =>
        this.collection
          .aggregate<Omit<KpiDayValues, 'consumer' | 'provider' | 'day'> & { _id: { c: string; p: string; d: string } }>(pipeline, this.options(background))
          .toArray(),
      'Aggregating usages',
    );
    return rows.map(({ _id, ...values }) => ({ consumer: _id.c, provider: _id.p, day: _id.d, ...values }));
  }

  /** How many usages of this view have their usageDate in each of `hours` (null: none), counted in one aggregate. */
  async countByHour(hours: readonly (Date | null)[], { background = false } = {}): Promise<Map<number | null, number>> {
    const counts = new Map<number | null, number>(hours.map((hour) => [hour?.getTime() ?? null, 0]));
    if (!hours.length) return counts;
    const match = this.scope({ $or: hours.map(inHour), ...this.live });
    const rows = await withDriverErrors(
      () =>
        this.collection
          .aggregate<{ _id: Date | null; count: number }>(
            [{ $match: match }, { $group: { _id: { $dateTrunc: { date: '$usageDate', unit: 'hour' } }, count: { $sum: 1 } } }],
            this.options(background),
          )
          .toArray(),
      'Counting usages',
    );
    for (const row of rows) {
      const key = row._id instanceof Date ? row._id.getTime() : null;
      if (counts.has(key)) counts.set(key, row.count);
    }
    return counts;
  }

  /**
   * The rollups of these hours, recomputed from their usages in one read: how many usages each hour
   * holds (all live ones, as `countByHour` counts them: the hourly counts of rollups/repository.ts),
   * and the meter rollups (rollups/meter-repository.ts): per hour, quarter of the hour and dimensions
   * the usages counted (`name` null), and per numeric characteristic (a usage's first of that name,
   * as meters/pipeline.ts reads it) its count, sum, min and max, superseded usages left out as
   * meters leave them out. One read instead of a count aggregate and a read of the same usages:
   * about a quarter of what the rollups added to ingestion (bench/RESULTS.md).
   *
   * Read with `find` and folded here rather than by `$unwind` and two `$group`s in the database:
   * on DocumentDB those took about 8 s a day of 5,500 usages (bench/RESULTS.md, the volume seed's
   * repair); the projected usages of the same day read in a fraction of that.
   */
  async hourRollups(hours: readonly Date[], { background = false } = {}): Promise<{ counts: Map<number, number>; meter: MeterQuarterValues[] }> {
    const counts = new Map<number, number>(hours.map((hour) => [hour.getTime(), 0]));
    if (!hours.length) return { counts, meter: [] };
    const match = this.scope({ $or: hours.map(inHour), ...this.live });
    const projection = { _id: 0, usageDate: 1, 'usageSpecification.id': 1, usageType: 1, status: 1, 'product.id': 1, usageCharacteristic: 1 };
    return withDriverErrors(async () => {
      const rows = new Map<string, MeterQuarterValues>();
      const fold = (usage: ProductUsageDocument, hour: Date, name: string | null, value: number | null) => {
        const dimensions = {
          hour,
          quarter: Math.floor(usage.usageDate!.getUTCMinutes() / 15),
          name,
          spec: usage.usageSpecification?.id ?? null,
          type: usage.usageType ?? null,
          status: usage.status,
          product: usage.product?.id ?? null,
        };
        const key = JSON.stringify([hour.getTime(), dimensions.quarter, name, dimensions.spec, dimensions.type, dimensions.status, dimensions.product]);
        const one = { count: 1, sum: value ?? 0, min: value, max: value };
        const known = rows.get(key);
        if (known) addFold(known, one);
        else rows.set(key, { ...dimensions, ...one });
      };
      for await (const usage of this.collection.find(match, { ...this.options(background), projection, batchSize: 5_000 })) {
        if (!(usage.usageDate instanceof Date)) continue;
        const start = Math.floor(usage.usageDate.getTime() / hourMs) * hourMs;
        counts.set(start, (counts.get(start) ?? 0) + 1);
        if (usage.status === uncountedStatus) continue;
        const hour = new Date(start);
        fold(usage, hour, null, null);
        const seen = new Set<string>();
        for (const characteristic of usage.usageCharacteristic ?? []) {
          if (seen.has(characteristic.name)) continue;
          seen.add(characteristic.name);
          if (typeof characteristic.value === 'number') fold(usage, hour, characteristic.name, characteristic.value);
        }
      }
      return { counts, meter: [...rows.values()] };
    }, 'Aggregating usages');
  }

  /** The tenants that have usages (the rollup repair pass, rollups/repair.ts). */
  tenants(): Promise<string[]> {
    return withDriverErrors(
      async () => (await this.collection.distinct('tenant')).filter((tenant): tenant is string => typeof tenant === 'string'),
      'Reading tenants',
    );
  }

  /** This view's usages counted by hour of usageDate (start in ms; null: no usageDate), all of them: the repair pass's recount. */
  async allHourCounts({ countedByMeters = false } = {}): Promise<Map<number | null, number>> {
    // The meters' count leaves superseded usages out (meters/pipeline.ts); the lists' count keeps them.
    const counted: Filter<ProductUsageDocument> = countedByMeters ? { status: { $ne: 'superseded' }, usageDate: { $ne: null } } : {};
    const rows = await withDriverErrors(
      () =>
        this.collection
          .aggregate<{ _id: Date | null; count: number }>([
            { $match: this.scope({ ...counted, ...this.live }) },
            { $group: { _id: { $dateTrunc: { date: '$usageDate', unit: 'hour' } }, count: { $sum: 1 } } },
          ])
          .toArray(),
      'Recounting usages by hour',
    );
    return new Map(rows.map((row) => [row._id instanceof Date ? row._id.getTime() : null, row.count]));
  }

  /** This view's ingested usages counted and summed per KPI day (kpiDayKey): the repair pass's recount. */
  async allKpiDayTotals(): Promise<Map<string, { count: number; sum: number }>> {
    const rows = await withDriverErrors(
      () =>
        this.collection
          .aggregate<{ _id: { a: string; u: string; d: string }; count: number; sum: number }>([
            { $match: this.scope({ 'ingest.application': { $exists: true }, ...this.live, ...counted }) },
            { $group: { _id: { a: '$ingest.application', u: '$ingest.unit', d: '$ingest.day' }, count: { $sum: 1 }, sum: { $sum: '$ingest.value' } } },
          ])
          .toArray(),
      'Recounting ingested usages',
    );
    return new Map(rows.map(({ _id, count, sum }) => [kpiDayKey(_id.a, _id.u, _id.d), { count, sum }]));
  }

  /**
   * Puts a pending correction into effect (corrections/writer.ts): `status` set, the pending mark
   * cleared and its events stored, in one write. Null when it is no longer pending (done by another
   * request that found it half-done) or gone.
   */
  settlePendingCorrection(id: string, status: ProductUsageDocument['status'], pending: readonly PendingEvent[]): Promise<ProductUsageDocument | null> {
    return withDriverErrors(
      () =>
        this.collection.findOneAndUpdate(
          this.scope({ _id: id, correctionPending: true, ...this.live }),
          {
            $set: { status },
            $unset: { correctionPending: '' },
            $inc: { rev: 1 },
            ...(pending.length ? { $push: { outbox: { $each: [...pending] } } } : {}),
          },
          { returnDocument: 'after' },
        ),
      'Correcting a usage',
    );
  }

  /** The corrections of the measurements `originals` first recorded, pending ones left out, oldest first (ProductUsage.history). */
  correctionsOf(originals: readonly string[]): Promise<ProductUsageDocument[]> {
    return withDriverErrors(
      () =>
        this.collection
          .find(this.scope({ 'correction.original': { $in: [...originals] }, correctionPending: { $exists: false }, ...this.live }), this.bounded)
          .sort({ 'correction.correctedAt': 1, _id: 1 })
          .toArray(),
      'Reading corrections',
    );
  }

  /** The pending corrections of `corrects` (of the chain of `original`) but `except`: left by attempts that did not get into effect. */
  pendingCorrectionsOf(original: string, corrects: string, except: string): Promise<ProductUsageDocument[]> {
    return withDriverErrors(
      () =>
        this.collection
          .find(this.scope({ 'correction.original': original, 'correction.corrects': corrects, correctionPending: true, _id: { $ne: except } }), this.bounded)
          .toArray(),
      'Reading corrections',
    );
  }

  /** Removes these corrections if they are still pending (never in effect, never announced). */
  async removePendingCorrections(ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    await withDriverErrors(() => this.collection.deleteMany(this.scope({ _id: { $in: [...ids] }, correctionPending: true })), 'Removing a correction');
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
