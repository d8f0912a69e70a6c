import type { Db, Document, Filter, Sort } from 'mongodb';
import { withDriverErrors } from '../shared/mongo.js';
import { DocumentRepository, type IndexKey } from '../shared/repository.js';
import { defaultUsageSort, usagePaths } from './filters.js';
import type { ProductUsageDocument } from './mappers.js';

export const usageCollectionName = 'productUsages';

/** Every field the API filters or sorts on, plus the default sort. */
const indexes: IndexKey[] = [
  defaultUsageSort as IndexKey,
  { status: 1 },
  { usageType: 1 },
  { usageDate: 1 },
  { lastUpdate: 1 },
  { [usagePaths.usageSpecificationId]: 1 },
  { [usagePaths.relatedPartyId]: 1 },
  { [usagePaths.relatedPartyRole]: 1 },
  { [usagePaths.productId]: 1 },
  { [usagePaths.externalIdentifierId]: 1 },
];

/** The only code that touches the productUsages collection. */
export class ProductUsageRepository extends DocumentRepository<ProductUsageDocument> {
  static async open(db: Db): Promise<ProductUsageRepository> {
    return new ProductUsageRepository(await this.collectionWithIndexes<ProductUsageDocument>(db, usageCollectionName, indexes), 'usage');
  }

  /** Every usage matching `filter`, in order, read in batches: memory stays flat whatever the count. */
  stream(filter: Filter<ProductUsageDocument>, sort: Sort): AsyncIterable<ProductUsageDocument> {
    return this.collection.find(filter).sort(sort).batchSize(1_000);
  }

  /**
   * How many usages matching `filter` name each of `ids` at `path`, in one aggregate. `path` may
   * run through an array (relatedParty): a usage that names the same party twice counts once.
   */
  async countByRelation(path: string, ids: readonly string[], filter: Filter<ProductUsageDocument>): Promise<Map<string, number>> {
    const match = { $and: [filter, { [path]: { $in: [...ids] } }] };
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
      () => this.collection.aggregate<{ _id: string; count: number }>(pipeline).toArray(),
      'Counting related usages',
    );
    return new Map(rows.map((row) => [row._id, row.count]));
  }
}
