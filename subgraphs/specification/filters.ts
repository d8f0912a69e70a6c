import type { Filter, Sort } from 'mongodb';
import { allOf, anyOf, sortBy } from '../shared/query.js';
import type { SpecificationDocument } from './mappers.js';
import type {
  ProductUsageSpecificationFilter,
  ProductUsageSpecificationSort,
  ProductUsageSpecificationSortField,
} from './generated/resolvers.js';

export function specificationFilter(filter: ProductUsageSpecificationFilter | null | undefined): Filter<SpecificationDocument> {
  if (!filter) return {};
  return allOf<SpecificationDocument>(
    anyOf('_id', filter.id),
    anyOf('name', filter.name),
    anyOf('lifecycleStatus', filter.lifecycleStatus),
    anyOf('version', filter.version),
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
  return sortBy(sort, sortPaths, defaultSpecificationSort);
}
