import type { Logger } from '../../../platform/logger.js';
import type { HubOutbox } from '../hubs/outbox.js';
import type { IngestErrorDocument } from '../ingestion/documents.js';
import { rejectionTopicSuffix, type BusChannel, type HubEvent, type UsageEvents } from '../product-usage/events.js';
import type { IngestionRejection, IngestionRejectionFilter, UsageAsSent, UsageUserType } from '../generated/resolvers.js';

/**
 * A usage an ingestion job refused, as an event: what the bus carries to `ingestionRejections`
 * subscribers and what a hub delivery stores (a `UsageIngestRejectionEvent`, ours, not TMF635).
 * `rejection` is the error as recorded, with its tenant (the job's, whose hubs and subscribers hear it).
 */
export interface IngestRejectionEvent {
  /** The error's id, `<job>:<index>`: a refusal published again (a job taken over) keeps it. */
  eventId: string;
  eventTime: Date;
  eventType: 'UsageIngestRejectionEvent';
  rejection: IngestErrorDocument & { tenant: string };
}

export const isIngestRejectionEvent = (event: HubEvent): event is IngestRejectionEvent => 'rejection' in event;

/** The event of a recorded error (its `recordedAt`, so a refusal published again has the same time too). */
export function rejectionEvent(error: IngestErrorDocument, tenant: string): IngestRejectionEvent {
  const { eventPending: _pending, ...rejection } = error;
  return { eventId: error._id, eventTime: error.recordedAt ?? new Date(), eventType: 'UsageIngestRejectionEvent', rejection: { ...rejection, tenant } };
}

/** Whether a subscriber with this filter receives the event (each list ORs, fields AND). */
export function rejectionMatches(event: IngestRejectionEvent, filter: IngestionRejectionFilter | null | undefined): boolean {
  if (!filter) return true;
  const { rejection } = event;
  const usage = rejection.usage as { application?: unknown; unit?: unknown };
  const anyOf = (wanted: readonly string[] | null | undefined, actual: unknown) => wanted == null || wanted.includes(actual as string);
  return (
    anyOf(filter.jobId, rejection.jobId) &&
    anyOf(filter.application, usage.application) &&
    anyOf(filter.unit, usage.unit) &&
    anyOf(filter.errorType, rejection.errorType)
  );
}

/** The GraphQL IngestionRejection of a recorded error: the usage as the error echoes it (ingestion/usages.ts, echo). */
export function rejectionOf(error: IngestErrorDocument): IngestionRejection {
  const sent = error.usage as Record<string, unknown>;
  const text = (name: string) => {
    const value = sent[name];
    return typeof value === 'string' ? value : null;
  };
  const usage: UsageAsSent = {
    tenantId: text('tenantId') ?? '',
    userId: text('userId'),
    userType: (text('userType') ?? 'tenant') as UsageUserType,
    application: text('application') ?? '',
    alias: text('alias'),
    resource: text('resource') ?? '',
    value: Number(sent.value),
    unit: text('unit') ?? '',
    datetime: new Date(text('datetime') ?? 0),
    externalIdentifier: text('externalIdentifier'),
    provider: text('provider') ?? '',
  };
  return {
    id: error._id,
    jobId: error.jobId,
    index: error.index,
    code: error.code,
    rule: error.rule,
    message: error.message,
    messageParameters: error.messageParameters,
    errorType: error.errorType,
    ingestionRule: error.ruleId ? { id: error.ruleId } : null,
    usage,
  };
}

/**
 * Publishes the refusals a job chunk recorded: first to the hubs' deliveries (durable; a failure
 * fails the chunk, and the job's next run publishes what is still owed), then to live subscribers
 * through the bus (a failure there is logged, as for usage events). At least once, with a stable
 * eventId: a runner stopped between publishing and settling leaves its refusals owed, and the
 * run that takes the job over publishes them again.
 */
export class IngestRejections {
  readonly channel: BusChannel<IngestRejectionEvent>;
  private readonly outbox: HubOutbox;

  constructor(
    events: UsageEvents,
    private readonly log: Logger,
  ) {
    this.channel = rejectionChannel(events);
    this.outbox = events.outbox;
  }

  async publish(tenant: string, errors: readonly IngestErrorDocument[]): Promise<void> {
    if (!errors.length) return;
    const events = errors.map((error) => rejectionEvent(error, tenant));
    await this.outbox.enqueueRejections(events);
    for (const event of events) {
      await this.channel.publish(event).catch((error: unknown) => this.log.error(`could not publish the ingestion rejection ${event.eventId}`, error));
    }
  }
}

/** The bus topic `ingestionRejections` subscribers listen on. */
export const rejectionChannel = (events: UsageEvents) => events.channel<IngestRejectionEvent>(rejectionTopicSuffix);
