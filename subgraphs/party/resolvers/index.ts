import { pageResolvers } from '../../shared/page-source.js';
import { DateTime } from '../../shared/scalars.js';
import type { PartyContext } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { Mutation } from './mutation.js';
import { Query } from './query.js';

export const resolvers: Resolvers = {
  DateTime,
  Query,
  Mutation,
  Party: {
    // Unknown ids resolve to the id alone (null fields): usage may name a party before it exists.
    __resolveReference: async (reference, { loaders }) => (await loaders.partyById.load(reference.id)) ?? { _id: reference.id },
    id: (party) => party._id,
  },
  PartyRole: {
    __resolveReference: async (reference, { loaders }) => (await loaders.partyRoleById.load(reference.id)) ?? { _id: reference.id },
    id: (role) => role._id,
    engagedParty: async (role, _args, { loaders }) =>
      role.engagedPartyId ? ((await loaders.partyById.load(role.engagedPartyId)) ?? { _id: role.engagedPartyId }) : null,
  },
  PartyPage: pageResolvers((context: PartyContext) => context.parties),
  PartyRolePage: pageResolvers((context: PartyContext) => context.partyRoles),
};
