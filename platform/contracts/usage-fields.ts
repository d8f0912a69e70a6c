import type { ProductUsageStatus } from '../generated/enums.js';

/**
 * The contract the REST facade and the graph share about a usage's attributes: which paths of the
 * GraphQL ProductUsage (named as in schema/usage.graphql) a `where` condition may name, the type
 * each value is coerced to, and which hold one value per usage and so sort meaningfully. The graph
 * (subgraphs/usage/product-usage/filters.ts) maps each to where it is stored; the TMF lists
 * (rest-adapter/catalogues.ts) map their attribute names to these paths and take type and
 * sortability from here.
 */
export type FieldType = 'string' | 'dateTime' | 'number' | 'boolean' | 'scalar';

export interface FieldContract {
  type: FieldType;
  /** Only paths that hold one value per document sort meaningfully. */
  sortable?: boolean;
  enumValues?: readonly string[];
}

/**
 * Every ProductUsageStatus of the schema, each once: the `satisfies` makes the compiler refuse this
 * list when the SDL's enum gains or loses a value (platform/generated/enums.ts comes from it).
 */
const statusSet = {
  initialized: true,
  rejected: true,
  validated: true,
  rated: true,
  corrected: true,
  superseded: true,
  notRated: true,
  failed: true,
  received: true,
  recycled: true,
  guided: true,
  rerated: true,
  billed: true,
} as const satisfies Record<ProductUsageStatus, true>;
export const usageStatuses = Object.keys(statusSet) as ProductUsageStatus[];

const money = (prefix: string): Record<string, FieldContract> => ({
  [`${prefix}.value`]: { type: 'number' },
  [`${prefix}.unit`]: { type: 'string' },
});
const ref = (prefix: string, sortable = false): Record<string, FieldContract> => ({
  [`${prefix}.id`]: { type: 'string', sortable },
  [`${prefix}.href`]: { type: 'string' },
  [`${prefix}.name`]: { type: 'string', sortable },
  [`${prefix}.referredType`]: { type: 'string' },
});

/**
 * Every documented attribute of a usage a client may filter on with `where` (and sort on where it
 * holds one value per usage). usageSpecification.* is the reference as sent.
 */
export const usageFields: Readonly<Record<string, FieldContract>> = {
  id: { type: 'string', sortable: true },
  type: { type: 'string', sortable: true },
  baseType: { type: 'string', sortable: true },
  schemaLocation: { type: 'string' },
  creationDate: { type: 'dateTime', sortable: true },
  lastUpdate: { type: 'dateTime', sortable: true },
  usageDate: { type: 'dateTime', sortable: true },
  usageType: { type: 'string', sortable: true },
  description: { type: 'string', sortable: true },
  status: { type: 'string', sortable: true, enumValues: usageStatuses },
  'usageCharacteristic.id': { type: 'string' },
  'usageCharacteristic.name': { type: 'string' },
  'usageCharacteristic.type': { type: 'string' },
  'usageCharacteristic.valueType': { type: 'string' },
  'usageCharacteristic.value': { type: 'scalar' },
  'relatedParty.role': { type: 'string' },
  ...Object.fromEntries(Object.entries(ref('relatedParty.partyOrPartyRole')).map(([k, v]) => [k, { ...v, sortable: false }])),
  'relatedParty.partyOrPartyRole.type': { type: 'string' },
  'relatedParty.partyOrPartyRole.partyId': { type: 'string' },
  'relatedParty.partyOrPartyRole.partyName': { type: 'string' },
  ...ref('product', true),
  ...ref('usageSpecification', true),
  'usageSpecification.version': { type: 'string' },
  'usageProductPrice.name': { type: 'string' },
  'usageProductPrice.priceType': { type: 'string' },
  'usageProductPrice.recurringChargePeriod': { type: 'string' },
  'usageProductPrice.unitOfMeasure': { type: 'string' },
  ...ref('usageProductPrice.productOfferingPrice'),
  ...money('usageProductPrice.price.dutyFreeAmount'),
  ...money('usageProductPrice.price.taxIncludedAmount'),
  'usageProductPrice.price.taxRate': { type: 'number' },
  'usageProductPrice.price.percentage': { type: 'number' },
  'ratedProductUsage.isBilled': { type: 'boolean' },
  'ratedProductUsage.isTaxExempt': { type: 'boolean' },
  'ratedProductUsage.offerTariffType': { type: 'string' },
  'ratedProductUsage.ratingAmountType': { type: 'string' },
  'ratedProductUsage.ratingDate': { type: 'dateTime' },
  'ratedProductUsage.taxRate': { type: 'number' },
  'ratedProductUsage.usageRatingTag': { type: 'string' },
  ...money('ratedProductUsage.bucketValueConvertedInAmount'),
  ...money('ratedProductUsage.taxExcludedRatingAmount'),
  ...money('ratedProductUsage.taxIncludedRatingAmount'),
  ...ref('ratedProductUsage.productRef'),
  'externalIdentifier.id': { type: 'string' },
  'externalIdentifier.owner': { type: 'string' },
  'externalIdentifier.externalIdentifierType': { type: 'string' },
};
