import { filterEvents } from '../../../platform/event-bus.js';
import { notFound } from '../../../platform/errors.js';
import type { UsageContext } from '../context.js';
import type { Resolvers, SubscriptionResolvers } from '../generated/resolvers.js';
import { rejectionChannel, rejectionMatches, rejectionOf, type IngestRejectionEvent } from './events.js';

export const rejectionSubscriptions: Pick<SubscriptionResolvers, 'ingestionRejections'> = {
  ingestionRejections: {
    // The subscriber's tenant's refusals only: the connection's caller was signed by the gateway.
    subscribe: (_root, { filter }, { events, tenant }) =>
      filterEvents(rejectionChannel(events).subscribe(), (event) => event.rejection.tenant === tenant && rejectionMatches(event, filter)),
    // The job through the subscription's loader: read once per job, however many of its refusals arrive.
    resolve: async (event: IngestRejectionEvent, _args: unknown, { loaders }: UsageContext) => {
      const job = await loaders.ingestJobById.load(event.rejection.jobId);
      if (!job) throw notFound('UsageIngestJob', event.rejection.jobId);
      return { eventId: event.eventId, eventTime: event.eventTime, job, rejection: rejectionOf(event.rejection) };
    },
  },
};

/** This feature's part of the usage subgraph's resolvers (resolvers.ts combines the features). */
export const rejectionResolvers: Resolvers = {
  Subscription: rejectionSubscriptions,
  IngestionRule: {},
};
