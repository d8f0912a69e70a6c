import { randomUUID } from 'node:crypto';
import { notFound } from '../../shared/errors.js';
import { patchUpdate } from '../../shared/query.js';
import { newUsageDocument, storedPatch, usageListFields } from '../mappers.js';
import type { MutationResolvers } from '../generated/resolvers.js';

export const Mutation: MutationResolvers = {
  createProductUsage: (_root, { input }, { repository }) =>
    repository.insert(newUsageDocument(input, randomUUID(), new Date())),

  updateProductUsage: async (_root, { id, patch }, { repository }) => {
    const { $set, $unset } = patchUpdate(storedPatch(patch), {
      required: ['type', 'status'],
      lists: usageListFields,
      now: new Date(),
    });
    const updated = await repository.update(id, Object.keys($unset).length ? { $set, $unset } : { $set });
    if (!updated) throw notFound('ProductUsage', id);
    return updated;
  },

  deleteProductUsage: async (_root, { id }, { repository }) => {
    const deleted = await repository.delete(id);
    if (!deleted) throw notFound('ProductUsage', id);
    return deleted;
  },
};
