import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { EventBus } from '../../../platform/event-bus.js';
import type { Logger } from '../../../platform/logger.js';
import type { HubOutbox } from '../hubs/outbox.js';
import { withoutOutbox, type PendingEvent, type ProductUsageDocument } from './documents.js';
import { type ExportJobDocument } from '../exports/documents.js';
import type { HubEventType, ProductUsageEventFilter, ProductUsageEventType } from '../generated/resolvers.js';
import type { IngestRejectionEvent } from '../rejections/events.js';

/** The bus topic of a deployment's usage events: named after its database, so deployments sharing one Redis stay apart. */
export const usageEventTopic = (databaseName: string) => `usage-graph:${databaseName}:productUsage`;

/** The suffix of the ingestion rejections' topic (rejections/events.ts), beside the usage events'. */
export const rejectionTopicSuffix = 'ingestionRejections';

/** The bus topic of a deployment's ingestion rejections. */
export const ingestionRejectionTopic = (databaseName: string) => `${usageEventTopic(databaseName)}:${rejectionTopicSuffix}`;

/** One topic of the bus, for publishing and subscribing to it. */
export interface BusChannel<T extends object> {
  readonly topic: string;
  publish(payload: T): Promise<void>;
  subscribe(): AsyncIterableIterator<T>;
}

/** What travels on the bus and what ProductUsageEvent resolves from. */
export interface UsageEvent {
  eventId: string;
  eventTime: Date;
  eventType: ProductUsageEventType;
  usage: ProductUsageDocument;
}

export type ExportJobEventType = Extract<HubEventType, 'ExportJobCreateEvent' | 'ExportJobStateChangeEvent' | 'ExportJobDeleteEvent'>;

/** A TMF635 v5 ExportJob event: only hubs receive these (no subscription carries them). */
export interface ExportJobEvent {
  eventId: string;
  eventTime: Date;
  eventType: ExportJobEventType;
  exportJob: ExportJobDocument;
}

/** What a hub delivery carries. */
export type HubEvent = UsageEvent | ExportJobEvent | IngestRejectionEvent;

export const isUsageEvent = (event: HubEvent): event is UsageEvent => 'usage' in event;

/**
 * The events an update makes (TMF635): a StateChange when the status moved, an AttributeValueChange
 * when anything else did, both when both did, none for a patch that changed nothing.
 */
export function updateEventTypes(before: ProductUsageDocument, after: ProductUsageDocument): ProductUsageEventType[] {
  const { status: s1, lastUpdate: _l1, ...rest1 } = withoutOutbox(before);
  const { status: s2, lastUpdate: _l2, ...rest2 } = withoutOutbox(after);
  const types: ProductUsageEventType[] = [];
  if (s1 !== s2) types.push('ProductUsageStateChangeEvent');
  if (!isDeepStrictEqual(rest1, rest2)) types.push('ProductUsageAttributeValueChangeEvent');
  return types;
}

/** Whether a subscriber with these arguments receives the event. */
export function eventMatches(
  event: UsageEvent,
  filter: ProductUsageEventFilter | null | undefined,
  types: readonly (ProductUsageEventType | HubEventType)[] | null | undefined,
): boolean {
  if (types && !types.includes(event.eventType)) return false;
  if (!filter) return true;
  const usage = event.usage;
  const anyOf = <T>(wanted: readonly T[] | null | undefined, actual: readonly (T | null | undefined)[]) =>
    wanted == null || actual.some((value) => value != null && wanted.includes(value));
  return (
    anyOf(
      filter.relatedPartyId,
      (usage.relatedParty ?? []).map((rp) => rp.partyOrPartyRole.id),
    ) &&
    anyOf(filter.usageSpecificationId, [usage.usageSpecification?.id]) &&
    anyOf(filter.status, [usage.status]) &&
    anyOf(filter.usageType, [usage.usageType])
  );
}

/** The events of one write, decided before it, and what the write stores of them for hubs (hub-outbox.ts). */
export interface StagedEvents {
  events: UsageEvent[];
  outbox: PendingEvent[];
}

/**
 * A usage write's events: `stage` before the write (its `outbox` goes into the write), `settle`
 * after it. Hub deliveries are as durable as the write: a process stopped before `settle` leaves its
 * events on the document, where any usage subgraph's sweep finds them. Live subscribers hear of
 * writes settled in this process (a subscriber that misses one can re-read).
 */
export class UsageEvents {
  constructor(
    private readonly bus: EventBus,
    readonly topic: string,
    readonly outbox: HubOutbox,
    private readonly log: Logger,
  ) {}

  subscribe(): AsyncIterableIterator<UsageEvent> {
    return this.bus.subscribe<UsageEvent>(this.topic);
  }

  /** Another topic of this deployment on the same bus, named after this one's (`<topic>:<suffix>`). */
  channel<T extends object>(suffix: string): BusChannel<T> {
    const topic = `${this.topic}:${suffix}`;
    return { topic, publish: (payload) => this.bus.publish(topic, payload), subscribe: () => this.bus.subscribe<T>(topic) };
  }

  /** The events `types` of `usage` (as it will be after the write) in `tenant`. */
  async stage(tenant: string, usage: ProductUsageDocument, types: readonly ProductUsageEventType[]): Promise<StagedEvents> {
    const eventTime = new Date();
    const events = types.map((eventType) => ({ eventId: randomUUID(), eventTime, eventType, usage: { ...withoutOutbox(usage), tenant } }));
    return { events, outbox: await this.outbox.pending(events) };
  }

  /**
   * After the writes have succeeded: their documents' events go to the hubs' deliveries, then to live
   * subscribers. A failure here does not fail the write the client asked for (a retry would store it
   * twice): it is logged, and the sweep relays the events later.
   */
  async settle(stored: readonly ProductUsageDocument[], events: readonly UsageEvent[]): Promise<void> {
    await this.outbox
      .relay(stored)
      .catch((error: unknown) => this.log.error(`could not queue the events of ${stored.length} usage(s) for hubs; the sweep will`, error));
    for (const event of events) {
      await this.bus.publish(this.topic, event).catch((error: unknown) => this.log.error(`could not publish ${event.eventType} for ${event.usage._id}`, error));
    }
  }

  /** An export job's event, for the hubs (TMF635 v5 defines these; no subscription carries them). */
  async publishExportJob(eventType: ExportJobEventType, job: ExportJobDocument): Promise<void> {
    await this.outbox
      .enqueueExportJob(eventType, job)
      .catch((error: unknown) => this.log.error(`could not queue ${eventType} of export ${job._id} for hubs`, error));
  }
}
