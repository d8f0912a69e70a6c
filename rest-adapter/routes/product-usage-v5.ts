import { productUsageV5Catalogue } from '../catalogues.js';
import type { GatewayClient } from '../gateway-client.js';
import { productUsageFromV5, productUsageToV5 } from '../mapping/product-usage-v5.js';
import {
  RestCreateProductUsageDocument,
  RestDeleteProductUsageDocument,
  RestGetProductUsageDocument,
  RestListProductUsagesDocument,
  RestUpdateProductUsageDocument,
  type ProductUsagePatch,
  type ProductUsageInput,
  type TmfProductUsageFragment,
} from '../operations/generated.js';
import { graphListArguments } from './graph-query.js';
import type { ResourceDefinition } from './resource.js';

export const v5Base = '/tmf-api/productUsageManagement/v5';

export function productUsageV5(gateway: GatewayClient, publicUrl: string): ResourceDefinition<TmfProductUsageFragment, ProductUsageInput, ProductUsagePatch> {
  const path = `${v5Base}/productUsage`;
  return {
    path,
    label: 'ProductUsage',
    catalogue: productUsageV5Catalogue,
    schemas: { create: 'v5.ProductUsage_FVO', patch: 'v5.ProductUsage_MVO' },
    readOnly: ['id', 'href', 'creationDate', 'lastUpdate'],
    cursors: true,
    list: async (query) => (await gateway.run(RestListProductUsagesDocument, graphListArguments(query))).productUsages,
    get: async (id) => (await gateway.run(RestGetProductUsageDocument, { id })).productUsage ?? null,
    create: async (input, idempotencyKey) => (await gateway.run(RestCreateProductUsageDocument, { input, idempotencyKey })).createProductUsage,
    update: async (id, patch) => (await gateway.run(RestUpdateProductUsageDocument, { id, patch })).updateProductUsage,
    remove: async (id) => void (await gateway.run(RestDeleteProductUsageDocument, { id })),
    toTmf: (usage) => productUsageToV5(usage, `${publicUrl}${path}/${usage.id}`),
    fromTmf: productUsageFromV5,
  };
}
