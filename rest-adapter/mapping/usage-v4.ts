import type { ProductUsageInput, TmfProductUsageFragment } from '../operations/generated.js';
import { statusAsV4 } from '../status-map.js';
import { asList, compact, moneyIn, moneyOut, refIn, refOut, refuseUnknown, type Json } from './common.js';

/**
 * TMF635 v4 Usage <-> the graph's ProductUsage. v4 relatedParty is flat ({id, name, role,
 * @referredType}); v4 has no product or usageProductPrice (v5 fields), so this view neither shows
 * nor takes them. The stored class name ProductUsage reads as v4's Usage, and the other way round.
 */
const storedType = 'ProductUsage';
const v4Type = 'Usage';

export function usageToV4(usage: TmfProductUsageFragment, href: string, specificationHref: (id: string) => string): Json {
  return compact({
    id: usage.id,
    href,
    '@type': usage.type === storedType ? v4Type : usage.type,
    '@baseType': usage.baseType,
    '@schemaLocation': usage.schemaLocation,
    description: usage.description,
    usageDate: usage.usageDate,
    usageType: usage.usageType,
    status: statusAsV4(usage.status),
    usageCharacteristic: usage.usageCharacteristic.map((c) => compact({ id: c.id, name: c.name, valueType: c.valueType, value: c.value })),
    relatedParty: usage.relatedParty.map((rp) =>
      compact({
        id: rp.partyOrPartyRole.id,
        href: rp.partyOrPartyRole.href,
        name: rp.partyOrPartyRole.name,
        role: rp.role,
        '@referredType': rp.partyOrPartyRole.referredType ?? (rp.partyOrPartyRole.type === 'PartyRoleRef' ? 'PartyRole' : undefined),
      }),
    ),
    usageSpecification: usage.usageSpecificationRef
      ? refOut(
          { ...usage.usageSpecificationRef, href: usage.usageSpecificationRef.href ?? specificationHref(usage.usageSpecificationRef.id), version: undefined },
          null,
        )
      : undefined,
    ratedProductUsage: usage.ratedProductUsage.map((r) =>
      compact({
        isBilled: r.isBilled,
        isTaxExempt: r.isTaxExempt,
        offerTariffType: r.offerTariffType,
        ratingAmountType: r.ratingAmountType,
        ratingDate: r.ratingDate,
        taxRate: r.taxRate,
        usageRatingTag: r.usageRatingTag,
        bucketValueConvertedInAmount: moneyOut(r.bucketValueConvertedInAmount),
        productRef: refOut(r.productRef, null),
        taxExcludedRatingAmount: moneyOut(r.taxExcludedRatingAmount),
        taxIncludedRatingAmount: moneyOut(r.taxIncludedRatingAmount),
      }),
    ),
  });
}

const known = [
  'id',
  'href',
  '@type',
  '@baseType',
  '@schemaLocation',
  'description',
  'usageDate',
  'usageType',
  'status',
  'usageCharacteristic',
  'relatedParty',
  'usageSpecification',
  'ratedProductUsage',
];

export function usageFromV4(body: Json): ProductUsageInput {
  refuseUnknown(body, known);
  const type = (body['@type'] as string | undefined) ?? v4Type;
  return {
    type: type === v4Type ? storedType : type,
    baseType: (body['@baseType'] as string | undefined) ?? null,
    schemaLocation: (body['@schemaLocation'] as string | undefined) ?? null,
    description: (body.description as string | undefined) ?? null,
    usageDate: (body.usageDate as string | undefined) ?? null,
    usageType: (body.usageType as string | undefined) ?? null,
    // A v4 usage starts as received (v4's first state) unless the sender says otherwise.
    status: (body.status as ProductUsageInput['status']) ?? 'received',
    usageCharacteristic:
      asList(body.usageCharacteristic)?.map((c) => ({
        id: c.id as string | undefined,
        name: c.name as string,
        valueType: c.valueType as string | undefined,
        value: c.value,
      })) ?? [],
    relatedParty:
      asList(body.relatedParty)?.map((rp) => ({
        role: rp.role as string | undefined,
        partyOrPartyRole: {
          id: String(rp.id),
          type: rp['@referredType'] === 'PartyRole' ? ('PartyRoleRef' as const) : ('PartyRef' as const),
          href: rp.href as string | undefined,
          name: rp.name as string | undefined,
          referredType: rp['@referredType'] as string | undefined,
        },
      })) ?? [],
    usageSpecification: refIn(body.usageSpecification) ?? null,
    ratedProductUsage:
      asList(body.ratedProductUsage)?.map((r) => ({
        isBilled: r.isBilled as boolean | undefined,
        isTaxExempt: r.isTaxExempt as boolean | undefined,
        offerTariffType: r.offerTariffType as string | undefined,
        ratingAmountType: r.ratingAmountType as string | undefined,
        ratingDate: r.ratingDate as string | undefined,
        taxRate: r.taxRate as number | undefined,
        usageRatingTag: r.usageRatingTag as string | undefined,
        bucketValueConvertedInAmount: moneyIn(r.bucketValueConvertedInAmount),
        productRef: refIn(r.productRef),
        taxExcludedRatingAmount: moneyIn(r.taxExcludedRatingAmount),
        taxIncludedRatingAmount: moneyIn(r.taxIncludedRatingAmount),
      })) ?? [],
  };
}
