import type { Db } from 'mongodb';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { loadTypeDefs, type SubgraphDefinition } from '../shared/subgraph-server.js';
import { specificationContextFactory, type SpecificationContext, type SpecificationSettings } from './context.js';
import { IngestionRuleRepository, KpiRepository } from './ingestion-repository.js';
import { SpecificationRepository } from './repository.js';
import { resolvers } from './resolvers/index.js';

export async function buildSpecificationSubgraph(db: Db, settings: SpecificationSettings): Promise<SubgraphDefinition<SpecificationContext>> {
  const [repository, rules, kpis] = await Promise.all([SpecificationRepository.open(db), IngestionRuleRepository.open(db), KpiRepository.open(db)]);
  return {
    name: 'specification',
    typeDefs: loadTypeDefs('specification'),
    resolvers: resolvers as GraphQLResolverMap<SpecificationContext>,
    createContext: specificationContextFactory({ repository, rules, kpis }, settings),
  };
}
