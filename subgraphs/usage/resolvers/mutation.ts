import { randomUUID } from 'node:crypto';
import { notFound } from '../../shared/errors.js';
import { patchUpdate } from '../../shared/query.js';
import { updateEventTypes } from '../events.js';
import { newUsageDocument, storedPatch, usageListFields } from '../mappers.js';
import type { MutationResolvers } from '../generated/resolvers.js';

export const Mutation: MutationResolvers = {
  createProductUsage: async (_root, { input }, { repository, events }) => {
    const created = await repository.insert(newUsageDocument(input, randomUUID(), new Date()));
    await events.publish('ProductUsageCreateEvent', created);
    return created;
  },

  updateProductUsage: async (_root, { id, patch }, { repository, events }) => {
    const { $set, $unset } = patchUpdate(storedPatch(patch), {
      required: ['type', 'status'],
      lists: usageListFields,
      now: new Date(),
    });
    // The stored usage before the change decides which events the change makes.
    const [before] = await repository.findByIds([id]);
    if (!before) throw notFound('ProductUsage', id);
    const updated = await repository.update(id, Object.keys($unset).length ? { $set, $unset } : { $set });
    if (!updated) throw notFound('ProductUsage', id);
    for (const type of updateEventTypes(before, updated)) await events.publish(type, updated);
    return updated;
  },

  deleteProductUsage: async (_root, { id }, { repository, events }) => {
    const deleted = await repository.delete(id);
    if (!deleted) throw notFound('ProductUsage', id);
    await events.publish('ProductUsageDeleteEvent', deleted);
    return deleted;
  },
};
