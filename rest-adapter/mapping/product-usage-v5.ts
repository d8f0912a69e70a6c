import type { ProductUsageInput, TmfProductUsageFragment } from '../operations/generated.js';
import { badRequest } from '../errors.js';
import { statusAsV5 } from '../status-map.js';
import { asList, asObject, characteristicType, compact, moneyIn, moneyOut, refIn, refOut, refuseUnknown, type Json } from './common.js';

/**
 * TMF635 v5 ProductUsage <-> the graph's ProductUsage. v5 has no usageDate or ratedProductUsage (v4
 * fields), so this view neither shows nor takes them; every object carries its @type, as v5 requires.
 */
export function productUsageToV5(usage: TmfProductUsageFragment, href: string): Json {
  return compact({
    id: usage.id,
    href,
    '@type': usage.type,
    '@baseType': usage.baseType,
    '@schemaLocation': usage.schemaLocation,
    creationDate: usage.creationDate,
    lastUpdate: usage.lastUpdate,
    status: statusAsV5(usage.status),
    usageType: usage.usageType,
    description: usage.description,
    usageCharacteristic: usage.usageCharacteristic.map((c) =>
      compact({ '@type': c.type ?? characteristicType(c.value), id: c.id, name: c.name, valueType: c.valueType, value: c.value }),
    ),
    relatedParty: usage.relatedParty.map((rp) =>
      compact({
        '@type': 'RelatedPartyRefOrPartyRoleRef',
        role: rp.role,
        partyOrPartyRole: compact({
          '@type': rp.partyOrPartyRole.type,
          id: rp.partyOrPartyRole.id,
          href: rp.partyOrPartyRole.href,
          name: rp.partyOrPartyRole.name,
          '@referredType': rp.partyOrPartyRole.referredType,
          partyId: rp.partyOrPartyRole.partyId,
          partyName: rp.partyOrPartyRole.partyName,
        }),
      }),
    ),
    product: refOut(usage.product, 'ProductRef'),
    usageSpecification: refOut(usage.usageSpecificationRef, 'ProductUsageSpecificationRef'),
    usageProductPrice: usage.usageProductPrice.map((p) =>
      compact({
        '@type': 'ProductPrice',
        name: p.name,
        description: p.description,
        priceType: p.priceType,
        recurringChargePeriod: p.recurringChargePeriod,
        unitOfMeasure: p.unitOfMeasure,
        productOfferingPrice: refOut(p.productOfferingPrice, 'ProductOfferingPriceRef'),
        price: p.price
          ? compact({
              '@type': 'Price',
              dutyFreeAmount: moneyOut(p.price.dutyFreeAmount),
              taxIncludedAmount: moneyOut(p.price.taxIncludedAmount),
              taxRate: p.price.taxRate,
              percentage: p.price.percentage,
            })
          : undefined,
      }),
    ),
    externalIdentifier: usage.externalIdentifier.map((e) =>
      compact({ '@type': 'ExternalIdentifier', id: e.id, owner: e.owner, externalIdentifierType: e.externalIdentifierType }),
    ),
  });
}

const known = [
  'id',
  'href',
  '@type',
  '@baseType',
  '@schemaLocation',
  'creationDate',
  'lastUpdate',
  'status',
  'usageType',
  'description',
  'usageCharacteristic',
  'relatedParty',
  'product',
  'usageSpecification',
  'usageProductPrice',
  'externalIdentifier',
];

/** The graph input for a v5 body (create, or the whole resource after a patch). */
export function productUsageFromV5(body: Json): ProductUsageInput {
  refuseUnknown(body, known);
  return {
    type: body['@type'] as string,
    baseType: (body['@baseType'] as string | undefined) ?? null,
    schemaLocation: (body['@schemaLocation'] as string | undefined) ?? null,
    status: (body.status as ProductUsageInput['status']) ?? undefined,
    usageType: (body.usageType as string | undefined) ?? null,
    description: (body.description as string | undefined) ?? null,
    usageCharacteristic:
      asList(body.usageCharacteristic)?.map((c) => ({
        id: c.id as string | undefined,
        type: c['@type'] as string | undefined,
        name: c.name as string,
        valueType: c.valueType as string | undefined,
        value: c.value,
      })) ?? [],
    relatedParty:
      asList(body.relatedParty)?.map((rp, i) => {
        const ref = asObject(rp.partyOrPartyRole);
        if (!ref) throw badRequest(`relatedParty[${i}].partyOrPartyRole is required: the party or party role the usage relates to.`);
        return {
          role: rp.role as string | undefined,
          partyOrPartyRole: {
            id: String(ref.id),
            type: ref['@type'] === 'PartyRoleRef' ? ('PartyRoleRef' as const) : ('PartyRef' as const),
            href: ref.href as string | undefined,
            name: ref.name as string | undefined,
            referredType: ref['@referredType'] as string | undefined,
            partyId: ref.partyId as string | undefined,
            partyName: ref.partyName as string | undefined,
          },
        };
      }) ?? [],
    product: refIn(body.product) ?? null,
    usageSpecification: refIn(body.usageSpecification) ?? null,
    usageProductPrice:
      asList(body.usageProductPrice)?.map((p) => {
        const price = asObject(p.price);
        return {
          name: p.name as string | undefined,
          description: p.description as string | undefined,
          priceType: p.priceType as string | undefined,
          recurringChargePeriod: p.recurringChargePeriod as string | undefined,
          unitOfMeasure: p.unitOfMeasure as string | undefined,
          productOfferingPrice: refIn(p.productOfferingPrice),
          price: price
            ? {
                dutyFreeAmount: moneyIn(price.dutyFreeAmount),
                taxIncludedAmount: moneyIn(price.taxIncludedAmount),
                taxRate: price.taxRate as number | undefined,
                percentage: price.percentage as number | undefined,
              }
            : undefined,
        };
      }) ?? [],
    externalIdentifier:
      asList(body.externalIdentifier)?.map((e) => ({
        id: String(e.id),
        owner: e.owner as string | undefined,
        externalIdentifierType: e.externalIdentifierType as string | undefined,
      })) ?? [],
  };
}
