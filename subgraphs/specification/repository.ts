import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { withDriverErrors } from '../../platform/mongo.js';
import { DocumentRepository, type IndexKey } from '../shared/repository.js';
import { defaultSpecificationSort } from './filters.js';
import type { SpecificationDocument } from './mappers.js';

/** Each after `tenant`: every query runs within one tenant (docs/security.md, "Tenant isolation"). */
const indexes: IndexKey[] = [
  { tenant: 1, ...(defaultSpecificationSort as IndexKey) },
  { tenant: 1, lifecycleStatus: 1 },
  { tenant: 1, version: 1 },
  { tenant: 1, creationDate: 1 },
  { tenant: 1, lastUpdate: 1 },
];

/** The only code that touches the productUsageSpecifications collection. */
export class SpecificationRepository extends DocumentRepository<SpecificationDocument> {
  static async open(db: Db): Promise<SpecificationRepository> {
    return new SpecificationRepository(
      await this.collectionWithIndexes<SpecificationDocument>(db, 'productUsageSpecifications', indexes),
      'usage specification',
    );
  }

  /** The same repository without creating indexes: for ingestion, while this subgraph's own start-up creates them. */
  static attach(db: Db): SpecificationRepository {
    return new SpecificationRepository(db.collection<SpecificationDocument>('productUsageSpecifications'), 'usage specification');
  }

  /** Creates the specifications that do not exist yet, in one command; existing ones are left as they are. */
  async ensure(docs: readonly SpecificationDocument[]): Promise<void> {
    if (!docs.length) return;
    const operations = docs.map(({ _id, ...fields }): AnyBulkWriteOperation<SpecificationDocument> => ({
      // Ids are per tenant (ingestionSpecificationId), so the scoped filter finds this tenant's or inserts it stamped.
      updateOne: { filter: this.scope({ _id }), update: { $setOnInsert: this.stamp(fields) }, upsert: true },
    }));
    // Two instances creating the same one at once: the loser's duplicate key means it exists.
    await withDriverErrors(() => this.collection.bulkWrite(operations, { ordered: false }), 'Creating usage specifications').catch(
      (error: { code?: string }) => {
        if (error.code !== 'CONFLICT') throw error;
      },
    );
  }
}
