import { cursorPageResolvers, pageResolvers } from '../../shared/page-source.js';
import { DateTime, JSONScalar } from '../../shared/scalars.js';
import type { UsageContext } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { ExportJob, exportJobMutations, exportJobQueries } from './export-job.js';
import { Hub, HubDelivery, hubMutations, hubQueries } from './hub.js';
import { ingestionMutations, ingestionQueries, ingestionTypes } from './ingestion.js';
import { Mutation } from './mutation.js';
import { ProductUsageEvent, Subscription } from './subscription.js';
import { ProductUsage, RelatedParty } from './product-usage.js';
import { Query } from './query.js';
import { Party, PartyRole, ProductUsageSpecification } from './relations.js';

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
