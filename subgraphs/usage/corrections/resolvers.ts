import type { ProductUsageResolvers, Resolvers } from '../generated/resolvers.js';
import { correctUsage, revertCorrection } from './writer.js';

/** This feature's part of the usage subgraph's resolvers (resolvers.ts combines the features). */
export const correctionResolvers: Resolvers = {
  Mutation: {
    correctProductUsage: (_root, { id, input, reason }, context) => correctUsage(context, id, input, reason),
    revertProductUsageCorrection: (_root, { id, reason }, context) => revertCorrection(context, id, reason),
  },
};

/**
 * The ProductUsage fields of corrections, which the product-usage feature's ProductUsage resolvers
 * include (a type is resolved by one feature). Every usage they name is read through the request's
 * loaders: a page of usages costs one read per field, not one per usage.
 */
export const correctionFields: Pick<ProductUsageResolvers, 'correction' | 'supersededBy' | 'history'> = {
  correction: async (usage, _args, { loaders }) => {
    const link = usage.correction;
    if (!link) return null;
    const [corrects, original] = await Promise.all([loaders.usageById.load(link.corrects), loaders.usageById.load(link.original)]);
    return {
      corrects,
      original,
      reason: link.reason,
      correctedAt: link.correctedAt,
      correctedBy: link.correctedBy,
      revertedAt: link.revertedAt ?? null,
      revertReason: link.revertReason ?? null,
      revertedBy: link.revertedBy ?? null,
    };
  },
  supersededBy: (usage, _args, { loaders }) => (usage.supersededBy ? loaders.usageById.load(usage.supersededBy.id) : null),
  history: (usage, _args, { loaders }) => loaders.historyOf.load(usage.correction?.original ?? usage._id),
};
