import type { FieldCatalogue, FieldSpec } from './tmf-query.js';
import { storedForV4, storedForV5, v4Statuses, v5Statuses } from './status-map.js';

/**
 * The attributes each TMF resource can be filtered and sorted on, and the graph path each stands
 * for (the graph checks the path and the value's type again: see subgraphs/shared/conditions.ts).
 */
const s = (path: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ path, type: 'string', ...extra });
const d = (path: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ path, type: 'dateTime', ...extra });
const n = (path: string): FieldSpec => ({ path, type: 'number', sortable: false });
const b = (path: string): FieldSpec => ({ path, type: 'boolean', sortable: false });
const list = (spec: FieldSpec): FieldSpec => ({ ...spec, sortable: false });

function ref(prefix: string, graphPrefix = prefix, sortable = false): Record<string, FieldSpec> {
  return {
    [`${prefix}.id`]: s(`${graphPrefix}.id`, { sortable }),
    [`${prefix}.href`]: s(`${graphPrefix}.href`, { sortable: false }),
    [`${prefix}.name`]: s(`${graphPrefix}.name`, { sortable }),
    [`${prefix}.@referredType`]: s(`${graphPrefix}.referredType`, { sortable: false }),
  };
}

const money = (prefix: string): Record<string, FieldSpec> => ({ [`${prefix}.value`]: n(`${prefix}.value`), [`${prefix}.unit`]: list(s(`${prefix}.unit`)) });

const usageCommon: Record<string, FieldSpec> = {
  id: s('id'),
  '@type': s('type'),
  '@baseType': s('baseType'),
  usageType: s('usageType'),
  description: s('description'),
  'usageCharacteristic.id': list(s('usageCharacteristic.id')),
  'usageCharacteristic.name': list(s('usageCharacteristic.name')),
  'usageCharacteristic.valueType': list(s('usageCharacteristic.valueType')),
  'usageCharacteristic.value': list(s('usageCharacteristic.value')),
  'relatedParty.role': list(s('relatedParty.role')),
  ...ref('usageSpecification', 'usageSpecification', true),
};

export const productUsageV5Catalogue: FieldCatalogue = {
  ...usageCommon,
  '@type': s('type'),
  creationDate: d('creationDate'),
  lastUpdate: d('lastUpdate'),
  status: s('status', { enumValues: v5Statuses, translate: storedForV5 }),
  'usageCharacteristic.@type': list(s('usageCharacteristic.type')),
  ...Object.fromEntries(Object.entries(ref('relatedParty.partyOrPartyRole')).map(([k, v]) => [k, list(v)])),
  'relatedParty.partyOrPartyRole.@type': list(s('relatedParty.partyOrPartyRole.type')),
  'relatedParty.partyOrPartyRole.partyId': list(s('relatedParty.partyOrPartyRole.partyId')),
  ...ref('product', 'product', true),
  'usageSpecification.version': s('usageSpecification.version', { sortable: false }),
  'usageProductPrice.name': list(s('usageProductPrice.name')),
  'usageProductPrice.priceType': list(s('usageProductPrice.priceType')),
  'usageProductPrice.unitOfMeasure': list(s('usageProductPrice.unitOfMeasure')),
  'usageProductPrice.recurringChargePeriod': list(s('usageProductPrice.recurringChargePeriod')),
  ...money('usageProductPrice.price.dutyFreeAmount'),
  ...money('usageProductPrice.price.taxIncludedAmount'),
  'usageProductPrice.price.taxRate': n('usageProductPrice.price.taxRate'),
  'externalIdentifier.id': list(s('externalIdentifier.id')),
  'externalIdentifier.owner': list(s('externalIdentifier.owner')),
  'externalIdentifier.externalIdentifierType': list(s('externalIdentifier.externalIdentifierType')),
};

export const usageV4Catalogue: FieldCatalogue = {
  ...usageCommon,
  usageDate: d('usageDate'),
  status: s('status', { enumValues: v4Statuses, translate: storedForV4 }),
  'relatedParty.id': list(s('relatedParty.partyOrPartyRole.id')),
  'relatedParty.href': list(s('relatedParty.partyOrPartyRole.href')),
  'relatedParty.name': list(s('relatedParty.partyOrPartyRole.name')),
  'relatedParty.@referredType': list(s('relatedParty.partyOrPartyRole.referredType')),
  'ratedProductUsage.isBilled': b('ratedProductUsage.isBilled'),
  'ratedProductUsage.isTaxExempt': b('ratedProductUsage.isTaxExempt'),
  'ratedProductUsage.offerTariffType': list(s('ratedProductUsage.offerTariffType')),
  'ratedProductUsage.ratingAmountType': list(s('ratedProductUsage.ratingAmountType')),
  'ratedProductUsage.ratingDate': list(d('ratedProductUsage.ratingDate')),
  'ratedProductUsage.taxRate': n('ratedProductUsage.taxRate'),
  'ratedProductUsage.usageRatingTag': list(s('ratedProductUsage.usageRatingTag')),
  ...money('ratedProductUsage.bucketValueConvertedInAmount'),
  ...money('ratedProductUsage.taxExcludedRatingAmount'),
  ...money('ratedProductUsage.taxIncludedRatingAmount'),
  ...Object.fromEntries(Object.entries(ref('ratedProductUsage.productRef')).map(([k, v]) => [k, list(v)])),
};

export const usageSpecificationV4Catalogue: FieldCatalogue = {
  id: s('id'),
  '@type': s('type'),
  '@baseType': s('baseType'),
  name: s('name'),
  description: s('description'),
  version: s('version'),
  lifecycleStatus: s('lifecycleStatus'),
  isBundle: { ...b('isBundle'), sortable: true },
  lastUpdate: d('lastUpdate'),
  'validFor.startDateTime': d('validFor.startDateTime'),
  'validFor.endDateTime': d('validFor.endDateTime'),
  'specCharacteristic.name': list(s('specCharacteristic.name')),
  'specCharacteristic.valueType': list(s('specCharacteristic.valueType')),
};
