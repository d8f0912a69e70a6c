import { specificationFields } from '../platform/contracts/specification-fields.js';
import { usageFields, type FieldContract } from '../platform/contracts/usage-fields.js';
import type { FieldCatalogue, FieldSpec } from './tmf-query.js';
import { storedForV4, storedForV5, v4Statuses, v5Statuses } from './status-map.js';

/**
 * The attributes each TMF resource can be filtered and sorted on, and the graph path each stands
 * for (the graph checks the path and the value's type again: see subgraphs/shared/conditions.ts).
 * A usage attribute's type and whether it sorts come from the contract the graph applies
 * (platform/contracts/usage-fields.ts): `u(path)`; only the TMF names and the status translation
 * are the facade's.
 */
function fromContract(contract: Readonly<Record<string, FieldContract>>, name: string) {
  return (path: string, extra: Partial<FieldSpec> = {}): FieldSpec => {
    const field = contract[path];
    if (!field) throw new Error(`rest-adapter/catalogues.ts names ${path}, which the ${name} contract does not hold`);
    return { path, type: field.type === 'scalar' ? 'string' : field.type, sortable: field.sortable === true, ...extra };
  };
}
const u = fromContract(usageFields, 'usage');
const sp = fromContract(specificationFields, 'specification');

function ref(prefix: string, graphPrefix = prefix): Record<string, FieldSpec> {
  return {
    [`${prefix}.id`]: u(`${graphPrefix}.id`),
    [`${prefix}.href`]: u(`${graphPrefix}.href`),
    [`${prefix}.name`]: u(`${graphPrefix}.name`),
    [`${prefix}.@referredType`]: u(`${graphPrefix}.referredType`),
  };
}

const money = (prefix: string): Record<string, FieldSpec> => ({ [`${prefix}.value`]: u(`${prefix}.value`), [`${prefix}.unit`]: u(`${prefix}.unit`) });

const usageCommon: Record<string, FieldSpec> = {
  id: u('id'),
  '@type': u('type'),
  '@baseType': u('baseType'),
  usageType: u('usageType'),
  description: u('description'),
  'usageCharacteristic.id': u('usageCharacteristic.id'),
  'usageCharacteristic.name': u('usageCharacteristic.name'),
  'usageCharacteristic.valueType': u('usageCharacteristic.valueType'),
  'usageCharacteristic.value': u('usageCharacteristic.value'),
  'relatedParty.role': u('relatedParty.role'),
  ...ref('usageSpecification'),
};

export const productUsageV5Catalogue: FieldCatalogue = {
  ...usageCommon,
  creationDate: u('creationDate'),
  lastUpdate: u('lastUpdate'),
  status: u('status', { enumValues: v5Statuses, translate: storedForV5 }),
  'usageCharacteristic.@type': u('usageCharacteristic.type'),
  ...ref('relatedParty.partyOrPartyRole'),
  'relatedParty.partyOrPartyRole.@type': u('relatedParty.partyOrPartyRole.type'),
  'relatedParty.partyOrPartyRole.partyId': u('relatedParty.partyOrPartyRole.partyId'),
  ...ref('product'),
  'usageSpecification.version': u('usageSpecification.version'),
  'usageProductPrice.name': u('usageProductPrice.name'),
  'usageProductPrice.priceType': u('usageProductPrice.priceType'),
  'usageProductPrice.unitOfMeasure': u('usageProductPrice.unitOfMeasure'),
  'usageProductPrice.recurringChargePeriod': u('usageProductPrice.recurringChargePeriod'),
  ...money('usageProductPrice.price.dutyFreeAmount'),
  ...money('usageProductPrice.price.taxIncludedAmount'),
  'usageProductPrice.price.taxRate': u('usageProductPrice.price.taxRate'),
  'externalIdentifier.id': u('externalIdentifier.id'),
  'externalIdentifier.owner': u('externalIdentifier.owner'),
  'externalIdentifier.externalIdentifierType': u('externalIdentifier.externalIdentifierType'),
};

export const usageV4Catalogue: FieldCatalogue = {
  ...usageCommon,
  usageDate: u('usageDate'),
  status: u('status', { enumValues: v4Statuses, translate: storedForV4 }),
  'relatedParty.id': u('relatedParty.partyOrPartyRole.id'),
  'relatedParty.href': u('relatedParty.partyOrPartyRole.href'),
  'relatedParty.name': u('relatedParty.partyOrPartyRole.name'),
  'relatedParty.@referredType': u('relatedParty.partyOrPartyRole.referredType'),
  'ratedProductUsage.isBilled': u('ratedProductUsage.isBilled'),
  'ratedProductUsage.isTaxExempt': u('ratedProductUsage.isTaxExempt'),
  'ratedProductUsage.offerTariffType': u('ratedProductUsage.offerTariffType'),
  'ratedProductUsage.ratingAmountType': u('ratedProductUsage.ratingAmountType'),
  'ratedProductUsage.ratingDate': u('ratedProductUsage.ratingDate'),
  'ratedProductUsage.taxRate': u('ratedProductUsage.taxRate'),
  'ratedProductUsage.usageRatingTag': u('ratedProductUsage.usageRatingTag'),
  ...money('ratedProductUsage.bucketValueConvertedInAmount'),
  ...money('ratedProductUsage.taxExcludedRatingAmount'),
  ...money('ratedProductUsage.taxIncludedRatingAmount'),
  ...ref('ratedProductUsage.productRef'),
};

/** Type and sortability from the graph's contract (platform/contracts/specification-fields.ts). */
export const usageSpecificationV4Catalogue: FieldCatalogue = {
  id: sp('id'),
  '@type': sp('type'),
  '@baseType': sp('baseType'),
  name: sp('name'),
  description: sp('description'),
  version: sp('version'),
  lifecycleStatus: sp('lifecycleStatus'),
  isBundle: sp('isBundle'),
  lastUpdate: sp('lastUpdate'),
  'validFor.startDateTime': sp('validFor.startDateTime'),
  'validFor.endDateTime': sp('validFor.endDateTime'),
  'specCharacteristic.name': sp('specCharacteristic.name'),
  'specCharacteristic.valueType': sp('specCharacteristic.valueType'),
};
