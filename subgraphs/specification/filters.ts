import type { Filter, Sort } from 'mongodb';
import { conditionFilters, type PathCatalogue } from '../shared/conditions.js';
import { allOf, anyOf, sortBy } from '../shared/query.js';
import { specificationFields } from '../../platform/contracts/specification-fields.js';
import type { SpecificationDocument } from './mappers.js';
import type { ProductUsageSpecificationFilter, ProductUsageSpecificationSort, ProductUsageSpecificationSortField } from './generated/resolvers.js';

/**
 * The `where` paths of the shared contract (platform/contracts/specification-fields.ts), each with
 * where it is stored: under its own name, but the id.
 */
export const specificationCatalogue: PathCatalogue = Object.fromEntries(
  Object.entries(specificationFields).map(([path, field]) => [path, { ...field, stored: path === 'id' ? '_id' : path }]),
);

export function specificationFilter(filter: ProductUsageSpecificationFilter | null | undefined): Filter<SpecificationDocument> {
  if (!filter) return {};
  return allOf<SpecificationDocument>(
    [anyOf('_id', filter.id), anyOf('name', filter.name), anyOf('lifecycleStatus', filter.lifecycleStatus), anyOf('version', filter.version)],
    conditionFilters(filter.where, specificationCatalogue),
  );
}

const sortPaths: Record<ProductUsageSpecificationSortField, string> = {
  name: 'name',
  version: 'version',
  lifecycleStatus: 'lifecycleStatus',
  creationDate: 'creationDate',
  lastUpdate: 'lastUpdate',
  id: '_id',
};

export const defaultSpecificationSort: Sort = { name: 1, _id: 1 };

export function specificationSort(sort: readonly ProductUsageSpecificationSort[] | null | undefined): Sort {
  return sortBy(sort, sortPaths, defaultSpecificationSort, specificationCatalogue);
}
