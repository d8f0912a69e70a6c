import { cursorPageResolvers, pageResolvers } from '../shared/page-source.js';
import { DateTime, JSONScalar } from '../shared/scalars.js';
import type { UsageContext } from './context.js';
import type { Resolvers } from './generated/resolvers.js';
import { ExportJob, exportJobMutations, exportJobQueries } from './exports/resolvers.js';
import { Hub, HubDelivery, hubMutations, hubQueries } from './hubs/resolvers.js';
import { ingestionMutations, ingestionQueries, ingestionTypes } from './ingestion/resolvers.js';
import { Mutation } from './product-usage/resolvers/mutation.js';
import { ProductUsageEvent, Subscription } from './product-usage/resolvers/subscription.js';
import { ProductUsage, RelatedParty } from './product-usage/resolvers/product-usage.js';
import { Query } from './product-usage/resolvers/query.js';
import { Party, PartyRole, ProductUsageSpecification } from './product-usage/resolvers/relations.js';

export const resolvers: Resolvers = {
  DateTime,
  JSON: JSONScalar,
  Query: { ...Query, ...exportJobQueries, ...hubQueries, ...ingestionQueries },
  Mutation: { ...Mutation, ...exportJobMutations, ...hubMutations, ...ingestionMutations },
  ...ingestionTypes,
  UsageIngestJobPage: pageResolvers((context: UsageContext) => context.ingestJobs),
  Hub,
  HubDelivery,
  Subscription,
  ProductUsageEvent,
  ExportJob,
  ExportJobPage: pageResolvers((context: UsageContext) => context.exportJobs),
  ProductUsage,
  RelatedParty,
  ProductUsagePage: cursorPageResolvers((context: UsageContext) => context.usageList),
  Party,
  PartyRole,
  ProductUsageSpecification,
};
