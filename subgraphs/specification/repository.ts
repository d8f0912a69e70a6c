import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { withDriverErrors } from '../shared/mongo.js';
import { DocumentRepository, type IndexKey } from '../shared/repository.js';
import { defaultSpecificationSort } from './filters.js';
import type { SpecificationDocument } from './mappers.js';

const indexes: IndexKey[] = [
  defaultSpecificationSort as IndexKey,
  { lifecycleStatus: 1 },
  { version: 1 },
  { creationDate: 1 },
  { lastUpdate: 1 },
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
    const operations = docs.map(
      ({ _id, ...fields }): AnyBulkWriteOperation<SpecificationDocument> => ({
        updateOne: { filter: { _id }, update: { $setOnInsert: fields }, upsert: true },
      }),
    );
    // Two instances creating the same one at once: the loser's duplicate key means it exists.
    await withDriverErrors(() => this.collection.bulkWrite(operations, { ordered: false }), 'Creating usage specifications').catch((error: { code?: string }) => {
      if (error.code !== 'CONFLICT') throw error;
    });
  }
}
