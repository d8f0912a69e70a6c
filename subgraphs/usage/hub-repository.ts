import type { Db } from 'mongodb';
import { withDriverErrors } from '../shared/mongo.js';
import { DocumentRepository, type IndexKey } from '../shared/repository.js';
import type { Hub, HubEventType, ProductUsageEventFilter } from './generated/resolvers.js';

export type HubDocument = Omit<Hub, '__typename' | 'id'> & {
  _id: string;
  filter: ProductUsageEventFilter | null;
  eventTypes: HubEventType[] | null;
  /** Stamped by the repository: the hub receives this tenant's events only. */
  tenant?: string;
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
}

/** The only code that touches the hubs collection. */
export class HubRepository extends DocumentRepository<HubDocument> {
  static async open(db: Db): Promise<HubRepository> {
    return new HubRepository(await this.collectionWithIndexes<HubDocument>(db, 'hubs', [{ status: 1 }, { tenant: 1, status: 1 }]), 'hub');
  }

  active(): Promise<HubDocument[]> {
    return withDriverErrors(() => this.collection.find(this.scope({ status: 'active' })).toArray(), 'Reading hubs');
  }

  recordSuccess(id: string): Promise<unknown> {
    return withDriverErrors(() => this.collection.updateOne(this.scope({ _id: id }), { $set: { consecutiveFailures: 0, lastError: null } }), 'Updating a hub');
  }

  /** Counts a failure; suspends the hub when it reaches `maxFailures`. */
  async recordFailure(id: string, error: string, maxFailures: number): Promise<void> {
    const hub = await withDriverErrors(
      () =>
        this.collection.findOneAndUpdate(
          this.scope({ _id: id }),
          { $inc: { consecutiveFailures: 1 }, $set: { lastError: error } },
          { returnDocument: 'after' },
        ),
      'Updating a hub',
    );
    if (hub && hub.status === 'active' && hub.consecutiveFailures >= maxFailures) {
      await withDriverErrors(() => this.collection.updateOne(this.scope({ _id: id }), { $set: { status: 'suspended' } }), 'Suspending a hub');
    }
  }
}

const deliveryIndexes: IndexKey[] = [
  { nextAttemptAt: 1, seq: 1 },
  { hubId: 1, subjectId: 1, seq: 1 },
];

/** The only code that touches the hubDeliveries collection: the durable outbox of webhook events. */
export class DeliveryRepository extends DocumentRepository<DeliveryDocument> {
  static async open(db: Db): Promise<DeliveryRepository> {
    return new DeliveryRepository(await this.collectionWithIndexes<DeliveryDocument>(db, 'hubDeliveries', deliveryIndexes), 'hub delivery');
  }

  async insertMany(docs: DeliveryDocument[]): Promise<void> {
    if (docs.length) await withDriverErrors(() => this.collection.insertMany(docs.map((doc) => this.stamp(doc))), 'Queueing hub deliveries');
  }

  /**
   * Deliveries a worker may take now: due, not leased, for an active hub, and first in line for
   * their hub and subject (an earlier event of the same usage or job that is waiting for a retry
   * holds the later ones back, so each subject's events arrive in order).
   */
  async due(now: Date, limit: number, activeHubIds: ReadonlySet<string>): Promise<DeliveryDocument[]> {
    const candidates = await withDriverErrors(
      () =>
        this.collection
          .find(this.scope({ nextAttemptAt: { $lte: now }, $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] }))
          .sort({ seq: 1 })
          .limit(limit * 4)
          .toArray(),
      'Finding due hub deliveries',
    );
    const eligible = candidates.filter((d) => activeHubIds.has(d.hubId));
    if (!eligible.length) return [];
    const heads = await withDriverErrors(
      () =>
        this.collection
          .find(
            this.scope({ hubId: { $in: [...new Set(eligible.map((d) => d.hubId))] }, subjectId: { $in: [...new Set(eligible.map((d) => d.subjectId))] } }),
            { projection: { hubId: 1, subjectId: 1, seq: 1 } },
          )
          .toArray(),
      'Ordering hub deliveries',
    );
    const first = new Map<string, number>();
    for (const d of heads) {
      const key = `${d.hubId}\u0000${d.subjectId}`;
      first.set(key, Math.min(first.get(key) ?? Number.POSITIVE_INFINITY, d.seq));
    }
    return eligible.filter((d) => first.get(`${d.hubId}\u0000${d.subjectId}`) === d.seq).slice(0, limit);
  }

  lease(id: string, worker: string, now: Date, until: Date): Promise<DeliveryDocument | null> {
    return withDriverErrors(
      () =>
        this.collection.findOneAndUpdate(
          this.scope({ _id: id, $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] }),
          { $set: { leaseOwner: worker, leaseUntil: until } },
          { returnDocument: 'after' },
        ),
      'Leasing a hub delivery',
    );
  }

  async complete(id: string, worker: string): Promise<DeliveryDocument | null> {
    return withDriverErrors(() => this.collection.findOneAndDelete(this.scope({ _id: id, leaseOwner: worker })), 'Completing a hub delivery');
  }

  retryLater(id: string, worker: string, at: Date): Promise<DeliveryDocument | null> {
    return withDriverErrors(
      () =>
        this.collection.findOneAndUpdate(
          this.scope({ _id: id, leaseOwner: worker }),
          { $inc: { attempt: 1 }, $set: { nextAttemptAt: at, leaseOwner: null, leaseUntil: null } },
          { returnDocument: 'after' },
        ),
      'Rescheduling a hub delivery',
    );
  }

  async removeForHub(hubId: string): Promise<void> {
    await withDriverErrors(() => this.collection.deleteMany(this.scope({ hubId })), 'Removing hub deliveries');
  }
}
