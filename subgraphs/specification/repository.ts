import type { Db } from 'mongodb';
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
}
