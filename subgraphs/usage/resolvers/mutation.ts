import { createHash, randomUUID } from 'node:crypto';
import { badUserInput, conflict, ErrorCode, notFound, UsageGraphError } from '../../shared/errors.js';
import { usageIdOf } from '../ingestion.js';
import { patchUpdate } from '../../shared/query.js';
import { updateEventTypes } from '../events.js';
import { newUsageDocument, storedPatch, usageListFields } from '../mappers.js';
import type { MutationResolvers } from '../generated/resolvers.js';

const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

export const Mutation: MutationResolvers = {
  createProductUsage: async (_root, { input, idempotencyKey }, { repository, events }) => {
    if (idempotencyKey == null) {
      const created = await repository.insert(newUsageDocument(input, randomUUID(), new Date()));
      await events.publish('ProductUsageCreateEvent', created);
      return created;
    }
    if (!idempotencyKeyPattern.test(idempotencyKey)) throw badUserInput('idempotencyKey must be 1 to 255 visible ASCII characters.', 'idempotencyKey');
    // The id is derived from the tenant and the key, so the unique _id index stores a key once per
    // tenant across processes; the input's hash tells a resend from a different create. GraphQL
    // coerces input objects in the schema's field order, so the same input hashes the same.
    const id = usageIdOf(repository.tenant!, JSON.stringify(['create', idempotencyKey]));
    const hash = createHash('sha256').update(JSON.stringify(input)).digest('base64url');
    try {
      const created = await repository.insert({ ...newUsageDocument(input, id, new Date()), idempotency: { key: idempotencyKey, hash } });
      await events.publish('ProductUsageCreateEvent', created);
      return created;
    } catch (error) {
      if (!(error instanceof UsageGraphError && error.code === ErrorCode.CONFLICT)) throw error;
      const [stored] = await repository.findByIds([id]);
      if (stored && stored.idempotency?.hash === hash) return stored;
      throw conflict('This idempotency key was used for another usage; a new usage needs a new key.');
    }
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
