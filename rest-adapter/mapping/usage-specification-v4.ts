import type { ProductUsageSpecificationInput, TmfUsageSpecificationFragment } from '../operations/generated.js';
import { badRequest } from '../errors.js';
import { asList, asObject, compact, refuseUnknown, type Json } from './common.js';

/** TMF635 v4 UsageSpecification <-> the graph's ProductUsageSpecification. */
const storedType = 'ProductUsageSpecification';
const v4Type = 'UsageSpecification';

export function specificationToV4(spec: TmfUsageSpecificationFragment, href: string): Json {
  return compact({
    id: spec.id,
    href,
    '@type': !spec.type || spec.type === storedType ? v4Type : spec.type,
    '@baseType': spec.baseType,
    '@schemaLocation': spec.schemaLocation,
    name: spec.name,
    description: spec.description,
    version: spec.version,
    lifecycleStatus: spec.lifecycleStatus,
    isBundle: spec.isBundle,
    lastUpdate: spec.lastUpdate,
    validFor: spec.validFor ? compact({ startDateTime: spec.validFor.startDateTime, endDateTime: spec.validFor.endDateTime }) : undefined,
    specCharacteristic: spec.specCharacteristic?.map((c) => compact({ name: c.name, description: c.description, valueType: c.valueType })),
  });
}

const known = [
  'id',
  'href',
  '@type',
  '@baseType',
  '@schemaLocation',
  'name',
  'description',
  'version',
  'lifecycleStatus',
  'isBundle',
  'lastUpdate',
  'validFor',
  'specCharacteristic',
];

export function specificationFromV4(body: Json): ProductUsageSpecificationInput {
  refuseUnknown(body, known);
  if (typeof body.name !== 'string' || body.name.trim() === '') throw badRequest('Attribute "name" is required: a usage specification needs a name.');
  const type = (body['@type'] as string | undefined) ?? v4Type;
  const validFor = asObject(body.validFor);
  return {
    type: type === v4Type ? storedType : type,
    baseType: (body['@baseType'] as string | undefined) ?? null,
    schemaLocation: (body['@schemaLocation'] as string | undefined) ?? null,
    name: body.name,
    description: (body.description as string | undefined) ?? null,
    version: (body.version as string | undefined) ?? null,
    lifecycleStatus: (body.lifecycleStatus as string | undefined) ?? null,
    isBundle: (body.isBundle as boolean | undefined) ?? null,
    validFor: validFor ? { startDateTime: validFor.startDateTime as string | undefined, endDateTime: validFor.endDateTime as string | undefined } : null,
    specCharacteristic:
      asList(body.specCharacteristic)?.map((c) => ({
        name: c.name as string,
        description: c.description as string | undefined,
        valueType: c.valueType as string | undefined,
      })) ?? [],
  };
}
