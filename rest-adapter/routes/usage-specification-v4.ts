import { usageSpecificationV4Catalogue } from '../catalogues.js';
import type { GatewayClient } from '../gateway-client.js';
import { specificationFromV4, specificationToV4 } from '../mapping/usage-specification-v4.js';
import {
  RestCreateUsageSpecificationDocument,
  RestDeleteUsageSpecificationDocument,
  RestGetUsageSpecificationDocument,
  RestListUsageSpecificationsDocument,
  RestUpdateUsageSpecificationDocument,
  type ProductUsageSpecificationInput,
  type ProductUsageSpecificationPatch,
  type TmfUsageSpecificationFragment,
} from '../operations/generated.js';
import { graphListArguments } from './graph-query.js';
import type { ResourceDefinition } from './resource.js';
import { v4Base } from './usage-v4.js';

export function usageSpecificationV4(
  gateway: GatewayClient,
  publicUrl: string,
): ResourceDefinition<TmfUsageSpecificationFragment, ProductUsageSpecificationInput, ProductUsageSpecificationPatch> {
  const path = `${v4Base}/usageSpecification`;
  return {
    path,
    label: 'UsageSpecification',
    catalogue: usageSpecificationV4Catalogue,
    schemas: { create: 'v4.UsageSpecification_Create', patch: 'v4.UsageSpecification_Update' },
    readOnly: ['id', 'href', 'lastUpdate'],
    list: async (query) => (await gateway.run(RestListUsageSpecificationsDocument, graphListArguments(query))).productUsageSpecifications,
    get: async (id) => (await gateway.run(RestGetUsageSpecificationDocument, { id })).productUsageSpecification ?? null,
    create: async (input) => (await gateway.run(RestCreateUsageSpecificationDocument, { input })).createProductUsageSpecification,
    update: async (id, patch) => (await gateway.run(RestUpdateUsageSpecificationDocument, { id, patch })).updateProductUsageSpecification,
    remove: async (id) => void (await gateway.run(RestDeleteUsageSpecificationDocument, { id })),
    toTmf: (spec) => specificationToV4(spec, `${publicUrl}${path}/${spec.id}`),
    fromTmf: specificationFromV4,
  };
}
