import { filterEvents } from '../../../../platform/event-bus.js';
import { eventMatches, type UsageEvent } from '../events.js';
import type { ProductUsageEventResolvers, SubscriptionResolvers } from '../../generated/resolvers.js';

export const Subscription: SubscriptionResolvers = {
  productUsageEvents: {
    // The subscriber's tenant's events only: the connection's caller was signed by the gateway.
    subscribe: (_root, { filter, eventTypes }, { events, tenant }) =>
      filterEvents(events.subscribe(), (event) => event.usage.tenant === tenant && eventMatches(event, filter, eventTypes)),
    resolve: (event: UsageEvent) => event,
  },
};

export const ProductUsageEvent: ProductUsageEventResolvers = {
  productUsage: (event) => event.usage,
};
