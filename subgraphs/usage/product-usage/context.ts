import type { CursorPageReader } from '../../shared/page-source.js';
import type { RollupReader } from '../rollups/reader.js';
import type { ProductUsageDocument } from './documents.js';
import type { ProductUsageRepository } from './repository.js';

/** What the product-usage resolvers read of one request's context: the caller's tenant's views. */
export interface ProductUsageContext {
  repository: ProductUsageRepository;
  /** The tenant's usage lists: pages from the repository, the unfiltered count from the rollups. */
  usageList: CursorPageReader<ProductUsageDocument>;
}

export function productUsageContext(services: { repository: ProductUsageRepository; rollupReader: RollupReader }, tenant: string): ProductUsageContext {
  const repository = services.repository.forTenant(tenant);
  return {
    repository,
    usageList: {
      find: (filter, sort, page) => repository.find(filter, sort, page),
      findPage: (filter, sort, page) => repository.findPage(filter, sort, page),
      count: (filter) => (Object.keys(filter).length ? repository.count(filter) : services.rollupReader.countAll(repository)),
    },
  };
}
