import { randomUUID } from 'node:crypto';
import { badUserInput, notFound } from '../../../platform/errors.js';
import { patchUpdate } from '../../shared/query.js';
import { displayName, newPartyDocument, newPartyRoleDocument, partyListFields } from '../mappers.js';
import type { MutationResolvers } from '../generated/resolvers.js';

export const Mutation: MutationResolvers = {
  createParty: (_root, { input }, { parties }) => parties.insert(newPartyDocument(input, randomUUID(), new Date())),

  updateParty: async (_root, { id, patch }, { parties, loaders }) => {
    const update = patchUpdate(patch, { required: ['kind'], lists: partyListFields, now: new Date() });
    // The display name of an individual follows its given and family names unless set outright.
    if (!('name' in patch) && ('givenName' in patch || 'familyName' in patch)) {
      const current = await loaders.partyById.load(id);
      if (!current) throw notFound('Party', id);
      const next = { ...current, ...patch, name: undefined };
      update.$set.name = displayName(next) ?? current.name;
    }
    if (patch.name === null) throw badUserInput('name cannot be cleared.', 'name');
    const updated = await parties.update(id, Object.keys(update.$unset).length ? update : { $set: update.$set });
    if (!updated) throw notFound('Party', id);
    return updated;
  },

  deleteParty: async (_root, { id }, { parties }) => {
    const deleted = await parties.delete(id);
    if (!deleted) throw notFound('Party', id);
    return deleted;
  },

  createPartyRole: (_root, { input }, { partyRoles }) => partyRoles.insert(newPartyRoleDocument(input, randomUUID(), new Date())),

  updatePartyRole: async (_root, { id, patch }, { partyRoles }) => {
    const update = patchUpdate(patch, { required: ['name'], lists: [], now: new Date() });
    const updated = await partyRoles.update(id, Object.keys(update.$unset).length ? update : { $set: update.$set });
    if (!updated) throw notFound('PartyRole', id);
    return updated;
  },

  deletePartyRole: async (_root, { id }, { partyRoles }) => {
    const deleted = await partyRoles.delete(id);
    if (!deleted) throw notFound('PartyRole', id);
    return deleted;
  },
};
