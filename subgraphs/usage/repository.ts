import { MongoBulkWriteError, type Db, type Document, type Filter, type Sort, type WriteError } from 'mongodb';
import { withDriverErrors } from '../shared/mongo.js';
import { DocumentRepository, type IndexKey } from '../shared/repository.js';
import { defaultUsageSort, usagePaths } from './filters.js';
import type { ProductUsageDocument } from './mappers.js';

export const usageCollectionName = 'productUsages';

/**
 * Every field the API filters or sorts on, plus the default sort, each after `tenant`: every query
 * runs within one tenant (README, "Tenant isolation").
 */
const indexes: IndexKey[] = [
  { tenant: 1, ...(defaultUsageSort as IndexKey) },
  { tenant: 1, status: 1 },
  { tenant: 1, usageType: 1 },
  { tenant: 1, usageDate: 1 },
  { tenant: 1, lastUpdate: 1 },
  { tenant: 1, [usagePaths.usageSpecificationId]: 1 },
  { tenant: 1, [usagePaths.relatedPartyId]: 1 },
  { tenant: 1, [usagePaths.relatedPartyRole]: 1 },
  { tenant: 1, [usagePaths.productId]: 1 },
  { tenant: 1, [usagePaths.externalIdentifierId]: 1 },
  // Aggregates of ingested usages: one KPI (application and unit) in one month or range of days.
  { tenant: 1, 'ingest.application': 1, 'ingest.unit': 1, 'ingest.month': 1 },
  { tenant: 1, 'ingest.application': 1, 'ingest.unit': 1, 'ingest.day': 1 },
];

/** One day's usages of one consumer and provider, folded in the database (sum and count run on both databases). */
export interface DayGroup {
  consumer: string;
  provider: string;
  day: string;
  sum: number;
  count: number;
}

/** What min, max and last need of each usage (FerretDB 1.24 has no $min/$max/$last accumulators). */
export interface DayValue {
  consumer: string;
  provider: string;
  day: string;
  value: number;
}

/** The only code that touches the productUsages collection. */
export class ProductUsageRepository extends DocumentRepository<ProductUsageDocument> {
  /** Set by the server on every create and ingestion (mappers.ts, ingestion.ts). */
  protected override readonly alwaysPresent: ReadonlySet<string> = new Set(['_id', 'creationDate', 'lastUpdate']);

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
   * Inserts what it can of `docs` in one unordered command. Returns the indexes refused because a
   * document with the same _id exists (an idempotency key stored before); any other failure throws,
   * and since every id is derived from its key, a retry of the whole batch stores each usage once.
   */
  async insertNew(docs: readonly ProductUsageDocument[]): Promise<Set<number>> {
    const duplicates = new Set<number>();
    if (!docs.length) return duplicates;
    try {
      await this.collection.insertMany(
        docs.map((doc) => this.stamp(doc)),
        { ordered: false },
      );
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) return withDriverErrors(() => Promise.reject(error), 'Storing usages');
      // One error or a readonly list (OneOrMore): Array.isArray would narrow the list to any[], concat keeps the type.
      const errors = ([] as WriteError[]).concat(error.writeErrors);
      for (const writeError of errors) {
        if (writeError.code !== 11000) return withDriverErrors(() => Promise.reject(error), 'Storing usages');
        duplicates.add(writeError.index);
      }
    }
    return duplicates;
  }

  /**
   * The stored usages with these ids, each read by an _id equality (16 at a time). FerretDB 1.24
   * answers `_id: {$in}` by scanning the collection, which grows without bound; equalities use the
   * index on both databases. For resends, where the ids of a batch are all known.
   */
  async findEach(ids: readonly string[]): Promise<ProductUsageDocument[]> {
    const found: ProductUsageDocument[] = [];
    for (let start = 0; start < ids.length; start += 16) {
      const docs = await Promise.all(ids.slice(start, start + 16).map((id) => this.findOwn(id, 'Reading usages')));
      for (const doc of docs) if (doc) found.push(doc);
    }
    return found;
  }

  /**
   * Per consumer, provider and day: the sum and count of the values of the usages matching `filter`.
   * Two pipelines of one accumulator each: FerretDB 1.24 computes only the first accumulator of a
   * $group and answers 0 for the others (tried against the embedded database).
   */
  async dayGroups(filter: Filter<ProductUsageDocument>): Promise<DayGroup[]> {
    const group = (accumulator: Document) =>
      withDriverErrors(
        () =>
          this.collection
            .aggregate<{ _id: { c: string; p: string; d: string }; v: number }>(
              [{ $match: this.scope(filter) }, { $group: { _id: { c: '$ingest.tenant', p: '$ingest.provider', d: '$ingest.day' }, v: accumulator } }],
              this.bounded,
            )
            .toArray(),
        'Aggregating usages',
      );
    const [sums, counts] = await Promise.all([group({ $sum: '$ingest.value' }), group({ $sum: 1 })]);
    const key = (id: { c: string; p: string; d: string }) => JSON.stringify([id.c, id.p, id.d]);
    const countOf = new Map(counts.map((row) => [key(row._id), row.v]));
    return sums.map(({ _id, v }) => ({ consumer: _id.c, provider: _id.p, day: _id.d, sum: v, count: countOf.get(key(_id)) ?? 0 }));
  }

  /** The values of the usages matching `filter` in usageDate order, streamed (memory stays flat). */
  dayValues(filter: Filter<ProductUsageDocument>): AsyncIterable<DayValue> {
    const cursor = this.collection
      .find(this.scope(filter), { projection: { _id: 0, ingest: 1 } })
      .sort({ usageDate: 1, _id: 1 })
      .batchSize(5_000)
      .map((doc) => ({ consumer: doc.ingest!.tenant, provider: doc.ingest!.provider, day: doc.ingest!.day, value: doc.ingest!.value }));
    return cursor;
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
