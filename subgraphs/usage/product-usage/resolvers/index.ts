import { cursorPageResolvers } from '../../../shared/page-source.js';
import type { UsageContext } from '../../context.js';
import type { Resolvers } from '../../generated/resolvers.js';
import { Mutation } from './mutation.js';
import { ProductUsage, RelatedParty } from './product-usage.js';
import { Query } from './query.js';
import { Party, PartyRole, ProductUsageSpecification } from './relations.js';
import { ProductUsageEvent, Subscription } from './subscription.js';

/** This feature's part of the usage subgraph's resolvers (resolvers.ts combines the features). */
export const productUsageResolvers: Resolvers = {
  Query,
  Mutation,
  Subscription,
  ProductUsageEvent,
  ProductUsage,
  RelatedParty,
  ProductUsagePage: cursorPageResolvers((context: UsageContext) => context.usageList),
  Party,
  PartyRole,
  ProductUsageSpecification,
};
