import type { Filter, Sort } from 'mongodb';
import { conditionFilters, type PathCatalogue } from '../shared/conditions.js';
import { allOf, anyOf, sortBy } from '../shared/query.js';
import type { SpecificationDocument } from './mappers.js';
import type { ProductUsageSpecificationFilter, ProductUsageSpecificationSort, ProductUsageSpecificationSortField } from './generated/resolvers.js';

/** Every documented attribute of a specification a client may filter on with `where` or sort on. */
export const specificationCatalogue: PathCatalogue = {
  id: { stored: '_id', type: 'string', sortable: true },
  type: { stored: 'type', type: 'string', sortable: true },
  baseType: { stored: 'baseType', type: 'string', sortable: true },
  name: { stored: 'name', type: 'string', sortable: true },
  description: { stored: 'description', type: 'string', sortable: true },
  version: { stored: 'version', type: 'string', sortable: true },
  lifecycleStatus: { stored: 'lifecycleStatus', type: 'string', sortable: true },
  isBundle: { stored: 'isBundle', type: 'boolean', sortable: true },
  creationDate: { stored: 'creationDate', type: 'dateTime', sortable: true },
  lastUpdate: { stored: 'lastUpdate', type: 'dateTime', sortable: true },
  'validFor.startDateTime': { stored: 'validFor.startDateTime', type: 'dateTime', sortable: true },
  'validFor.endDateTime': { stored: 'validFor.endDateTime', type: 'dateTime', sortable: true },
  'specCharacteristic.name': { stored: 'specCharacteristic.name', type: 'string' },
  'specCharacteristic.valueType': { stored: 'specCharacteristic.valueType', type: 'string' },
  'specCharacteristic.unit': { stored: 'specCharacteristic.unit', type: 'string' },
};

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
