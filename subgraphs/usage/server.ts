import type { Db } from 'mongodb';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { loadTypeDefs, type SubgraphDefinition } from '../shared/subgraph-server.js';
import { usageContextFactory, type UsageContext, type UsageSettings } from './context.js';
import { ProductUsageRepository } from './repository.js';
import { resolvers } from './resolvers/index.js';

/** Builds the usage subgraph (indexes included); index.ts or the whole-system launcher serves it. */
export async function buildUsageSubgraph(db: Db, settings: UsageSettings): Promise<SubgraphDefinition<UsageContext>> {
  const repository = await ProductUsageRepository.open(db);
  return {
    name: 'usage',
    typeDefs: loadTypeDefs('usage'),
    resolvers: resolvers as GraphQLResolverMap<UsageContext>,
    createContext: usageContextFactory(repository, settings),
  };
}
