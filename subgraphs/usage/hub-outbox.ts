import { randomUUID } from 'node:crypto';
import { BSON } from 'mongodb';
import { eventMatches, type UsageEvent } from './events.js';
import type { DeliveryRepository, HubDocument, HubRepository } from './hub-repository.js';

/**
 * Turns each usage event into durable deliveries, one per active hub whose filter matches. The
 * list of hubs is read at most once a second (other instances' registrations show up within that).
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

  async activeHubs(): Promise<HubDocument[]> {
    if (!this.cache || Date.now() - this.cache.at > 1_000) this.cache = { at: Date.now(), hubs: await this.hubs.active() };
    return this.cache.hubs;
  }

  /** Microseconds since the epoch, strictly increasing in this process: the order of a usage's events. */
  private nextSeq(): number {
    this.lastSeq = Math.max(Date.now() * 1_000, this.lastSeq + 1);
    return this.lastSeq;
  }

  async enqueue(event: UsageEvent): Promise<void> {
    const hubs = (await this.activeHubs()).filter((hub) => eventMatches(event, hub.filter, hub.eventTypes));
    if (!hubs.length) return;
    const seq = this.nextSeq();
    const serialized = BSON.EJSON.stringify(event, { relaxed: false });
    await this.deliveries.insertMany(
      hubs.map((hub) => ({
        _id: randomUUID(),
        hubId: hub._id,
        usageId: event.usage._id,
        seq,
        event: serialized,
        attempt: 0,
        nextAttemptAt: event.eventTime,
        leaseOwner: null,
        leaseUntil: null,
      })),
    );
  }
}
