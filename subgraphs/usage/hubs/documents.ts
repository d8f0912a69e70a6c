import type { HubEvent } from '../product-usage/events.js';
import type { Hub, HubEventType, ProductUsageEventFilter } from '../generated/resolvers.js';

/** A registered hub as stored (TMF635 v4 and v5 hubs alike). */
export type HubDocument = Omit<Hub, '__typename' | 'id'> & {
  _id: string;
  filter: ProductUsageEventFilter | null;
  eventTypes: HubEventType[] | null;
  /** Stamped by the repository: the hub receives this tenant's events only. */
  tenant?: string;
  /** After a failed attempt, no delivery to this hub is tried before this time (the hub's backoff). */
  retryAt?: Date | null;
  /** The worker that holds the hub: deliveries to one hub are made one at a time, in order. */
  leaseOwner?: string | null;
  leaseUntil?: Date | null;
};

/** One event owed to one hub. `event` is the HubEvent as extended JSON (dates kept). */
export interface DeliveryDocument {
  _id: string;
  hubId: string;
  /** The usage or export job the event is about: each one's events are delivered in order. */
  subjectId: string;
  /** Order of the events of one subject. */
  seq: number;
  event: string;
  attempt: number;
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** The hub's tenant. */
  tenant?: string;
  /** When its event happened: the backlog's age is that of the oldest (deliveries queued before this field have none). */
  queuedAt?: Date;
}

/** A leased delivery with its event decoded once. */
export interface LeasedDelivery {
  doc: DeliveryDocument;
  event: HubEvent;
}
