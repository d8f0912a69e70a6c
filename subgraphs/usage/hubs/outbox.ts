import { randomUUID } from 'node:crypto';
import { BSON } from 'mongodb';
import { eventMatches, isUsageEvent, type ExportJobEvent, type ExportJobEventType, type HubEvent, type UsageEvent } from '../product-usage/events.js';
import type { DeliveryRepository, HubRepository } from './repository.js';
import type { DeliveryDocument, HubDocument } from './documents.js';
import type { PendingEvent, ProductUsageDocument } from '../product-usage/documents.js';
import type { ExportJobDocument } from '../exports/documents.js';
import type { ProductUsageRepository } from '../product-usage/repository.js';
import { isIngestRejectionEvent, type IngestRejectionEvent } from '../rejections/events.js';

/** Pending events older than this are the sweep's: younger ones belong to a write whose own relay is still running. */
const sweepAfterMs = 2_000;
/** Usages the sweep relays per round. */
const sweepBatch = 500;

/**
 * Webhook events, from the write that makes them to durable deliveries (one per hub that wants it).
 *
 * A transactional outbox in one document (https://microservices.io/patterns/data/transactional-outbox.html,
 * without a transaction: FerretDB has none). A usage write carries its events in the usage document's
 * `outbox` field, so the write and its events are stored or not together. The relay then inserts one
 * delivery per hub, with an id made of the event's and the hub's (a relay run twice, or by two
 * processes, queues each once), and takes the events off the document; a delete leaves the document
 * marked until its event is relayed. What a process stopped between the two steps leaves, the sweep of
 * any usage-subgraph process relays a few seconds later.
 *
 * Hubs are those active or suspended (a suspended hub's events are kept for when it is registered
 * again), read at most once a second. A registration or removal is announced on the event bus
 * before it is answered, so with REDIS_URL every instance reads the hubs again within moments of
 * it; without Redis (one instance) it is at once, and an announcement lost with Redis costs at
 * most that second. It holds the unscoped repositories: it serves every tenant's events
 * (docs/security.md, "Tenant isolation").
 */
export class HubOutbox {
  private cache: { at: number; hubs: HubDocument[] } | undefined;
  private lastSeq = 0;

  constructor(
    readonly hubs: HubRepository,
    readonly deliveries: DeliveryRepository,
    private readonly usages: ProductUsageRepository,
    private readonly announce: () => Promise<void> = async () => {},
  ) {}

  invalidate(): void {
    this.cache = undefined;
  }

  /** A hub was registered, changed or removed here: read the hubs again, here and on every instance. */
  async changed(): Promise<void> {
    this.invalidate();
    // Redis away: the other instances see the change on their next read, within a second.
    await this.announce().catch(() => undefined);
  }

  async receivingHubs(): Promise<HubDocument[]> {
    if (!this.cache || Date.now() - this.cache.at > 1_000) this.cache = { at: Date.now(), hubs: await this.hubs.receiving() };
    return this.cache.hubs;
  }

  /** Microseconds since the epoch, strictly increasing in this process: the order of a usage's events. */
  private nextSeq(): number {
    this.lastSeq = Math.max(Date.now() * 1_000, this.lastSeq + 1);
    return this.lastSeq;
  }

  /**
   * Usage events go to hubs whose filter and event types match. ExportJob and ingestion rejection
   * events exist in v5 only, and a hub's filter speaks of usage attributes, so they go to v5 hubs
   * without a filter whose event types include them.
   */
  private wants(hub: HubDocument, event: HubEvent): boolean {
    // A hub hears its own tenant only; an event without a tenant reaches no hub.
    const tenant = isUsageEvent(event) ? event.usage.tenant : isIngestRejectionEvent(event) ? event.rejection.tenant : event.exportJob.tenant;
    if (tenant === undefined || hub.tenant !== tenant) return false;
    if (isUsageEvent(event)) return eventMatches(event, hub.filter, hub.eventTypes);
    return hub.apiVersion === 'v5' && !hub.filter && (!hub.eventTypes || hub.eventTypes.includes(event.eventType));
  }

  /**
   * What a usage write stores of its events for the relay: those some hub wants now (none, and the
   * write carries nothing: no hub, no cost). Called before the write.
   */
  async pending(events: readonly UsageEvent[]): Promise<PendingEvent[]> {
    if (!events.length) return [];
    const hubs = await this.receivingHubs();
    return events
      .filter((event) => hubs.some((hub) => this.wants(hub, event)))
      .map((event) => ({ eventId: event.eventId, seq: this.nextSeq(), event: BSON.EJSON.stringify(event, { relaxed: false }) }));
  }

  /**
   * Queues the pending events of these stored usages (all of them, an earlier write's left-overs
   * first) for the hubs that want them, then takes them off the documents. Safe to repeat.
   */
  async relay(docs: readonly ProductUsageDocument[]): Promise<void> {
    const holding = docs.filter((doc) => doc.outbox?.length);
    if (!holding.length) return;
    const hubs = await this.receivingHubs();
    const queued: DeliveryDocument[] = [];
    for (const doc of holding) {
      for (const pending of doc.outbox!) {
        const event = BSON.EJSON.parse(pending.event, { relaxed: false }) as UsageEvent;
        for (const hub of hubs) if (this.wants(hub, event)) queued.push(delivery(hub, event.usage._id, pending, event.eventTime));
      }
    }
    await this.deliveries.insertNew(queued);
    await this.usages.settleOutbox(
      holding.map((doc) => doc._id),
      holding.flatMap((doc) => doc.outbox!.map((pending) => pending.eventId)),
    );
  }

  /** Relays what writes of stopped processes left on their documents; returns how many usages it relayed. */
  async sweep(): Promise<number> {
    let relayed = 0;
    for (;;) {
      const docs = await this.usages.withPendingEvents((Date.now() - sweepAfterMs) * 1_000, sweepBatch);
      await this.relay(docs);
      relayed += docs.length;
      if (docs.length < sweepBatch) return relayed;
    }
  }

  /**
   * Queues an export job's event for the hubs that want them. Export jobs keep no outbox: a process
   * stopped between the job's write and this insert loses that event (docs/events.md, "Durability").
   */
  async enqueueExportJob(eventType: ExportJobEventType, exportJob: ExportJobDocument): Promise<void> {
    const { runner: _runner, heartbeat: _heartbeat, ...job } = exportJob;
    const event: ExportJobEvent = { eventId: randomUUID(), eventTime: new Date(), eventType, exportJob: job };
    const hubs = (await this.receivingHubs()).filter((hub) => this.wants(hub, event));
    const pending = { eventId: event.eventId, seq: this.nextSeq(), event: BSON.EJSON.stringify(event, { relaxed: false }) };
    await this.deliveries.insertNew(hubs.map((hub) => delivery(hub, job._id, pending, event.eventTime)));
  }

  /**
   * Queues ingestion rejections for the hubs that want them, in the order given (each job's in
   * order). A delivery's id is the event's and the hub's, and the eventId is the error's, so a job
   * chunk publishing its refusals again queues each once while it is owed.
   */
  async enqueueRejections(events: readonly IngestRejectionEvent[]): Promise<void> {
    const hubs = await this.receivingHubs();
    const queued: DeliveryDocument[] = [];
    for (const event of events) {
      const wanting = hubs.filter((hub) => this.wants(hub, event));
      if (!wanting.length) continue;
      const pending = { eventId: event.eventId, seq: this.nextSeq(), event: BSON.EJSON.stringify(event, { relaxed: false }) };
      for (const hub of wanting) queued.push(delivery(hub, event.rejection.jobId, pending, event.eventTime));
    }
    await this.deliveries.insertNew(queued);
  }
}

/** One event owed to one hub; its id is the event's and the hub's, so it is queued once however often it is relayed. */
function delivery(hub: HubDocument, subjectId: string, pending: PendingEvent, eventTime: Date): DeliveryDocument {
  return {
    _id: `${pending.eventId}:${hub._id}`,
    hubId: hub._id,
    subjectId,
    seq: pending.seq,
    event: pending.event,
    attempt: 0,
    nextAttemptAt: eventTime,
    queuedAt: eventTime,
    leaseOwner: null,
    leaseUntil: null,
    tenant: hub.tenant,
  };
}
