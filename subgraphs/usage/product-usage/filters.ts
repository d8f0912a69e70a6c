import type { Filter, Sort } from 'mongodb';
import { conditionFilters, type PathCatalogue } from '../../shared/conditions.js';
import { allOf, anyOf, sortBy, within } from '../../shared/query.js';
import type { ProductUsageDocument } from './documents.js';
import type { ProductUsageFilter, ProductUsageSort, ProductUsageSortField, ProductUsageStatus } from '../generated/resolvers.js';

/** Stored paths the typed filter fields use; repository.ts indexes each of them. */
export const usagePaths = {
  relatedPartyId: 'relatedParty.partyOrPartyRole.id',
  relatedPartyRole: 'relatedParty.role',
  usageSpecificationId: 'usageSpecification.id',
  productId: 'product.id',
  externalIdentifierId: 'externalIdentifier.id',
} as const;

const statuses: readonly ProductUsageStatus[] = [
  'initialized',
  'rejected',
  'validated',
  'rated',
  'corrected',
  'superseded',
  'notRated',
  'failed',
  'received',
  'recycled',
  'guided',
  'rerated',
  'billed',
];

const money = (prefix: string): Record<string, { stored: string; type: 'number' | 'string' }> => ({
  [`${prefix}.value`]: { stored: `${prefix}.value`, type: 'number' },
  [`${prefix}.unit`]: { stored: `${prefix}.unit`, type: 'string' },
});
const ref = (prefix: string, sortable = false) => ({
  [`${prefix}.id`]: { stored: `${prefix}.id`, type: 'string' as const, sortable },
  [`${prefix}.href`]: { stored: `${prefix}.href`, type: 'string' as const },
  [`${prefix}.name`]: { stored: `${prefix}.name`, type: 'string' as const, sortable },
  [`${prefix}.referredType`]: { stored: `${prefix}.referredType`, type: 'string' as const },
});

/**
 * Every documented attribute of a usage a client may filter on with `where` (and sort on where it
 * holds one value per usage), named as in the GraphQL schema. usageSpecification.* is the reference
 * as sent.
 */
export const usageCatalogue: PathCatalogue = {
  id: { stored: '_id', type: 'string', sortable: true },
  type: { stored: 'type', type: 'string', sortable: true },
  baseType: { stored: 'baseType', type: 'string', sortable: true },
  schemaLocation: { stored: 'schemaLocation', type: 'string' },
  creationDate: { stored: 'creationDate', type: 'dateTime', sortable: true },
  lastUpdate: { stored: 'lastUpdate', type: 'dateTime', sortable: true },
  usageDate: { stored: 'usageDate', type: 'dateTime', sortable: true },
  usageType: { stored: 'usageType', type: 'string', sortable: true },
  description: { stored: 'description', type: 'string', sortable: true },
  status: { stored: 'status', type: 'string', sortable: true, enumValues: statuses },
  'usageCharacteristic.id': { stored: 'usageCharacteristic.id', type: 'string' },
  'usageCharacteristic.name': { stored: 'usageCharacteristic.name', type: 'string' },
  'usageCharacteristic.valueType': { stored: 'usageCharacteristic.valueType', type: 'string' },
  'usageCharacteristic.value': { stored: 'usageCharacteristic.value', type: 'scalar' },
  'relatedParty.role': { stored: 'relatedParty.role', type: 'string' },
  ...Object.fromEntries(Object.entries(ref('relatedParty.partyOrPartyRole')).map(([k, v]) => [k, { ...v, sortable: false }])),
  'relatedParty.partyOrPartyRole.type': { stored: 'relatedParty.partyOrPartyRole.type', type: 'string' },
  'relatedParty.partyOrPartyRole.partyId': { stored: 'relatedParty.partyOrPartyRole.partyId', type: 'string' },
  'relatedParty.partyOrPartyRole.partyName': { stored: 'relatedParty.partyOrPartyRole.partyName', type: 'string' },
  ...ref('product', true),
  ...ref('usageSpecification', true),
  'usageSpecification.version': { stored: 'usageSpecification.version', type: 'string' },
  'usageProductPrice.name': { stored: 'usageProductPrice.name', type: 'string' },
  'usageProductPrice.priceType': { stored: 'usageProductPrice.priceType', type: 'string' },
  'usageProductPrice.recurringChargePeriod': { stored: 'usageProductPrice.recurringChargePeriod', type: 'string' },
  'usageProductPrice.unitOfMeasure': { stored: 'usageProductPrice.unitOfMeasure', type: 'string' },
  ...ref('usageProductPrice.productOfferingPrice'),
  ...money('usageProductPrice.price.dutyFreeAmount'),
  ...money('usageProductPrice.price.taxIncludedAmount'),
  'usageProductPrice.price.taxRate': { stored: 'usageProductPrice.price.taxRate', type: 'number' },
  'usageProductPrice.price.percentage': { stored: 'usageProductPrice.price.percentage', type: 'number' },
  'ratedProductUsage.isBilled': { stored: 'ratedProductUsage.isBilled', type: 'boolean' },
  'ratedProductUsage.isTaxExempt': { stored: 'ratedProductUsage.isTaxExempt', type: 'boolean' },
  'ratedProductUsage.offerTariffType': { stored: 'ratedProductUsage.offerTariffType', type: 'string' },
  'ratedProductUsage.ratingAmountType': { stored: 'ratedProductUsage.ratingAmountType', type: 'string' },
  'ratedProductUsage.ratingDate': { stored: 'ratedProductUsage.ratingDate', type: 'dateTime' },
  'ratedProductUsage.taxRate': { stored: 'ratedProductUsage.taxRate', type: 'number' },
  'ratedProductUsage.usageRatingTag': { stored: 'ratedProductUsage.usageRatingTag', type: 'string' },
  ...money('ratedProductUsage.bucketValueConvertedInAmount'),
  ...money('ratedProductUsage.taxExcludedRatingAmount'),
  ...money('ratedProductUsage.taxIncludedRatingAmount'),
  ...ref('ratedProductUsage.productRef'),
  'externalIdentifier.id': { stored: 'externalIdentifier.id', type: 'string' },
  'externalIdentifier.owner': { stored: 'externalIdentifier.owner', type: 'string' },
  'externalIdentifier.externalIdentifierType': { stored: 'externalIdentifier.externalIdentifierType', type: 'string' },
};

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
