import { pageResolvers } from '../../shared/page-source.js';
import { DateTime, JSONScalar } from '../../shared/scalars.js';
import type { UsageContext } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { Mutation } from './mutation.js';
import { ProductUsage, RelatedParty } from './product-usage.js';
import { Query } from './query.js';
import { Party, PartyRole, ProductUsageSpecification } from './relations.js';

export const resolvers: Resolvers = {
  DateTime,
  JSON: JSONScalar,
  Query,
  Mutation,
  ProductUsage,
  RelatedParty,
  ProductUsagePage: pageResolvers((context: UsageContext) => context.repository),
  Party,
  PartyRole,
  ProductUsageSpecification,
};
