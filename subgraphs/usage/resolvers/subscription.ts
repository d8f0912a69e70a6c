import { filterEvents } from '../../shared/event-bus.js';
import { eventMatches, type UsageEvent } from '../events.js';
import type { ProductUsageEventResolvers, SubscriptionResolvers } from '../generated/resolvers.js';

export const Subscription: SubscriptionResolvers = {
  productUsageEvents: {
    subscribe: (_root, { filter, eventTypes }, { events }) =>
      filterEvents(events.subscribe(), (event) => eventMatches(event, filter, eventTypes)),
    resolve: (event: UsageEvent) => event,
  },
};

export const ProductUsageEvent: ProductUsageEventResolvers = {
  productUsage: (event) => event.usage,
};
