import { usageV4Catalogue } from '../catalogues.js';
import type { GatewayClient } from '../gateway-client.js';
import { usageFromV4, usageToV4 } from '../mapping/usage-v4.js';
import {
  RestCreateProductUsageDocument,
  RestDeleteProductUsageDocument,
  RestGetProductUsageDocument,
  RestListProductUsagesDocument,
  RestUpdateProductUsageDocument,
  type ProductUsageInput,
  type ProductUsagePatch,
  type TmfProductUsageFragment,
} from '../operations/generated.js';
import { graphListArguments } from './graph-query.js';
import type { ResourceDefinition } from './resource.js';

export const v4Base = '/tmf-api/usageManagement/v4';

export function usageV4(gateway: GatewayClient, publicUrl: string): ResourceDefinition<TmfProductUsageFragment, ProductUsageInput, ProductUsagePatch> {
  const path = `${v4Base}/usage`;
  const specificationHref = (id: string) => `${publicUrl}${v4Base}/usageSpecification/${id}`;
  return {
    path,
    label: 'Usage',
    catalogue: usageV4Catalogue,
    schemas: { create: 'v4.Usage_Create', patch: 'v4.Usage_Update' },
    readOnly: ['id', 'href'],
    list: async (query) => (await gateway.run(RestListProductUsagesDocument, graphListArguments(query))).productUsages,
    get: async (id) => (await gateway.run(RestGetProductUsageDocument, { id })).productUsage ?? null,
    create: async (input, idempotencyKey) => (await gateway.run(RestCreateProductUsageDocument, { input, idempotencyKey })).createProductUsage,
    update: async (id, patch) => (await gateway.run(RestUpdateProductUsageDocument, { id, patch })).updateProductUsage,
    remove: async (id) => void (await gateway.run(RestDeleteProductUsageDocument, { id })),
    toTmf: (usage) => usageToV4(usage, `${publicUrl}${path}/${usage.id}`, specificationHref),
    fromTmf: usageFromV4,
  };
}
