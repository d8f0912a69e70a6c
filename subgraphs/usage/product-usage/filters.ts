import type { Filter, Sort } from 'mongodb';
import { conditionFilters, type PathCatalogue } from '../../shared/conditions.js';
import { allOf, anyOf, sortBy, within } from '../../shared/query.js';
import type { ProductUsageDocument } from './documents.js';
import type { ProductUsageFilter, ProductUsageSort, ProductUsageSortField } from '../generated/resolvers.js';
import { usageFields } from '../../../platform/contracts/usage-fields.js';

/** Stored paths the typed filter fields use; repository.ts indexes each of them. */
export const usagePaths = {
  relatedPartyId: 'relatedParty.partyOrPartyRole.id',
  relatedPartyRole: 'relatedParty.role',
  usageSpecificationId: 'usageSpecification.id',
  productId: 'product.id',
  externalIdentifierId: 'externalIdentifier.id',
} as const;

/**
 * The `where` paths of the shared contract (platform/contracts/usage-fields.ts), each with where it
 * is stored: under its own name, but the id.
 */
export const usageCatalogue: PathCatalogue = Object.fromEntries(
  Object.entries(usageFields).map(([path, field]) => [path, { ...field, stored: path === 'id' ? '_id' : path }]),
);

export function usageFilter(filter: ProductUsageFilter | null | undefined): Filter<ProductUsageDocument> {
  if (!filter) return {};
  return allOf<ProductUsageDocument>(
    [
      anyOf('_id', filter.id),
      anyOf('status', filter.status),
      anyOf('usageType', filter.usageType),
      anyOf(usagePaths.usageSpecificationId, filter.usageSpecificationId),
      anyOf(usagePaths.relatedPartyId, filter.relatedPartyId),
      anyOf(usagePaths.relatedPartyRole, filter.relatedPartyRole),
      anyOf(usagePaths.productId, filter.productId),
      anyOf(usagePaths.externalIdentifierId, filter.externalIdentifierId),
      within('usageDate', filter.usageDate),
      within('creationDate', filter.creationDate),
      within('lastUpdate', filter.lastUpdate),
    ],
    conditionFilters(filter.where, usageCatalogue),
  );
}

const sortFields: Record<ProductUsageSortField, string> = {
  creationDate: 'creationDate',
  lastUpdate: 'lastUpdate',
  usageDate: 'usageDate',
  status: 'status',
  usageType: 'usageType',
  id: '_id',
};

/** Newest first by default: the usage a client most often wants is the one that just arrived. */
export const defaultUsageSort: Sort = { creationDate: -1, _id: -1 };

export function usageSort(sort: readonly ProductUsageSort[] | null | undefined): Sort {
  return sortBy(sort, sortFields, defaultUsageSort, usageCatalogue);
}
