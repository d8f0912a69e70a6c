import type { Db } from 'mongodb';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { loadTypeDefs, type SubgraphDefinition } from '../shared/subgraph-server.js';
import { partyContextFactory, type PartyContext, type PartySettings } from './context.js';
import { PartyRepository, PartyRoleRepository } from './repository.js';
import { resolvers } from './resolvers/index.js';

export async function buildPartySubgraph(db: Db, settings: PartySettings): Promise<SubgraphDefinition<PartyContext>> {
  const [parties, partyRoles] = await Promise.all([PartyRepository.open(db), PartyRoleRepository.open(db)]);
  return {
    name: 'party',
    typeDefs: loadTypeDefs('party'),
    resolvers: resolvers as GraphQLResolverMap<PartyContext>,
    createContext: partyContextFactory({ parties, partyRoles }, settings),
  };
}
