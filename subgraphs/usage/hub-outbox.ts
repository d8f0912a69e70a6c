import { randomUUID } from 'node:crypto';
import { BSON } from 'mongodb';
import { eventMatches, isUsageEvent, type ExportJobEvent, type ExportJobEventType, type HubEvent } from './events.js';
import type { DeliveryRepository, HubDocument, HubRepository } from './hub-repository.js';
import type { ExportJobDocument } from './mappers.js';

/**
 * Turns each usage event into durable deliveries, one per active or suspended hub of the event's
 * tenant whose filter matches (a suspended hub's events are kept for when it is registered again). The list of hubs is read at most once a second (other instances' registrations
 * show up within that). It holds the unscoped repositories: it serves every tenant's events, and the
 * delivery worker leases across tenants (README, "Tenant isolation").
 */
export class HubOutbox {
  private cache: { at: number; hubs: HubDocument[] } | undefined;
  private lastSeq = 0;

  constructor(
    readonly hubs: HubRepository,
    readonly deliveries: DeliveryRepository,
  ) {}

  invalidate(): void {
    this.cache = undefined;
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
   * Usage events go to hubs whose filter and event types match. ExportJob events exist in v5 only,
   * and a hub's filter speaks of usage attributes, so they go to v5 hubs without a filter whose
   * event types include them.
   */
  private wants(hub: HubDocument, event: HubEvent): boolean {
    // A hub hears its own tenant only; an event without a tenant reaches no hub.
    const tenant = isUsageEvent(event) ? event.usage.tenant : event.exportJob.tenant;
    if (tenant === undefined || hub.tenant !== tenant) return false;
    if (isUsageEvent(event)) return eventMatches(event, hub.filter, hub.eventTypes);
    return hub.apiVersion === 'v5' && !hub.filter && (!hub.eventTypes || hub.eventTypes.includes(event.eventType));
  }

  /** Queues an export job's event for the hubs that want it. Failures are logged by the caller. */
  enqueueExportJob(eventType: ExportJobEventType, exportJob: ExportJobDocument): Promise<void> {
    const { runner: _runner, heartbeat: _heartbeat, ...job } = exportJob;
    const event: ExportJobEvent = { eventId: randomUUID(), eventTime: new Date(), eventType, exportJob: job };
    return this.enqueue(event);
  }

  async enqueue(event: HubEvent): Promise<void> {
    const hubs = (await this.receivingHubs()).filter((hub) => this.wants(hub, event));
    if (!hubs.length) return;
    const seq = this.nextSeq();
    const serialized = BSON.EJSON.stringify(event, { relaxed: false });
    await this.deliveries.insertMany(
      hubs.map((hub) => ({
        _id: randomUUID(),
        hubId: hub._id,
        subjectId: isUsageEvent(event) ? event.usage._id : event.exportJob._id,
        seq,
        event: serialized,
        attempt: 0,
        nextAttemptAt: event.eventTime,
        leaseOwner: null,
        leaseUntil: null,
        tenant: hub.tenant,
      })),
    );
  }
}
