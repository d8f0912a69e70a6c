import { MongoServerError, type Db } from 'mongodb';
import { withDriverErrors } from '../../../platform/mongo.js';
import { DocumentRepository, retryOnDeadlock, type IndexKey } from '../../shared/repository.js';
import type { DeliveryDocument, HubDocument } from './documents.js';

/** Free to lease: no worker holds it, or its lease ran out. */
const unleased = (now: Date) => ({ $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] });

/** The only code that touches the hubs collection. */
export class HubRepository extends DocumentRepository<HubDocument> {
  /**
   * One hub per registration (tenant, callback, query, version): two registrations racing each other
   * insert one hub, and the other finds it. A database with duplicates from before that rule keeps
   * serving without the unique index; `onDuplicates` says so at start.
   */
  static async open(db: Db, onDuplicates: (message: string) => void): Promise<HubRepository> {
    const collection = await this.collectionWithIndexes<HubDocument>(db, 'hubs', [{ status: 1 }, { tenant: 1, status: 1 }]);
    try {
      // Tried again on a deadlock, like every index: usage subgraphs starting together.
      await retryOnDeadlock(() => collection.createIndex({ tenant: 1, callback: 1, query: 1, apiVersion: 1 }, { unique: true, name: 'registration' }));
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === 11000)) return withDriverErrors(() => Promise.reject(error), 'Creating hubs indexes');
      onDuplicates(
        'hubs holds the same registration (tenant, callback, query, version) more than once; delete the extra hubs so the unique index can be built',
      );
    }
    return new HubRepository(collection, 'hub');
  }

  /** Hubs that events are queued for: active ones, and suspended ones (theirs are kept for when they resume). */
  receiving(): Promise<HubDocument[]> {
    return withDriverErrors(() => this.collection.find(this.scope({ status: { $in: ['active', 'suspended'] } })).toArray(), 'Reading hubs');
  }

  /** The hub registered with this callback, query and version (in this view's tenant), if any. */
  findRegistration(callback: string, query: string | null, apiVersion: HubDocument['apiVersion']): Promise<HubDocument | null> {
    return withDriverErrors(() => this.collection.findOne(this.scope({ callback, query, apiVersion })), 'Reading hubs');
  }

  /** Registering again: the hub is active again with a clean failure count and no backoff. */
  resume(id: string): Promise<HubDocument | null> {
    return withDriverErrors(
      () =>
        this.collection.findOneAndUpdate(
          this.scope({ _id: id }),
          { $set: { status: 'active', consecutiveFailures: 0, retryAt: null } },
          { returnDocument: 'after' },
        ),
      'Resuming a hub',
    );
  }

  /**
   * Takes the hub for one delivery, if it is active, out of its backoff and held by no other worker.
   * One delivery at a time per hub is what makes its failure count a count of attempts in a row.
   */
  lease(id: string, worker: string, now: Date, until: Date): Promise<HubDocument | null> {
    return withDriverErrors(
      () =>
        this.collection.findOneAndUpdate(
          this.scope({ _id: id, status: 'active', $and: [{ $or: [{ retryAt: null }, { retryAt: { $lte: now } }] }, unleased(now)] }),
          { $set: { leaseOwner: worker, leaseUntil: until } },
          { returnDocument: 'after' },
        ),
      'Leasing a hub',
    );
  }

  release(id: string, worker: string): Promise<unknown> {
    return withDriverErrors(
      () => this.collection.updateOne(this.scope({ _id: id, leaseOwner: worker }), { $set: { leaseOwner: null, leaseUntil: null } }),
      'Releasing a hub',
    );
  }

  /** A delivery succeeded: the failure streak ends, and the worker lets go of the hub. */
  recordSuccess(id: string, worker: string): Promise<unknown> {
    return withDriverErrors(
      () =>
        this.collection.updateOne(this.scope({ _id: id, leaseOwner: worker }), {
          $set: { consecutiveFailures: 0, lastError: null, retryAt: null, leaseOwner: null, leaseUntil: null },
        }),
      'Updating a hub',
    );
  }

  /**
   * Counts a failed attempt (the worker holds the hub, so attempts are counted one at a time, in
   * order); the hub then backs off (`delay(failures so far)`) before any of its deliveries is tried
   * again, and is suspended when the streak reaches `maxFailures`. The lease is let go last, so no
   * other worker takes the hub before its backoff is set.
   */
  async recordFailure(id: string, worker: string, error: string, maxFailures: number, delay: (failures: number) => number): Promise<void> {
    const hub = await withDriverErrors(
      () =>
        this.collection.findOneAndUpdate(
          this.scope({ _id: id, leaseOwner: worker }),
          { $inc: { consecutiveFailures: 1 }, $set: { lastError: error } },
          { returnDocument: 'after' },
        ),
      'Updating a hub',
    );
    if (!hub) return;
    const suspend = hub.status === 'active' && hub.consecutiveFailures >= maxFailures;
    await withDriverErrors(
      () =>
        this.collection.updateOne(this.scope({ _id: id, leaseOwner: worker }), {
          $set: {
            retryAt: new Date(Date.now() + delay(hub.consecutiveFailures - 1)),
            leaseOwner: null,
            leaseUntil: null,
            ...(suspend ? { status: 'suspended' as const } : {}),
          },
        }),
      suspend ? 'Suspending a hub' : 'Updating a hub',
    );
  }
}

const deliveryIndexes: IndexKey[] = [
  { nextAttemptAt: 1, seq: 1 },
  { hubId: 1, subjectId: 1, seq: 1 },
  { hubId: 1, seq: 1 },
];

/** How far down a hub's queue `headFor` looks for a delivery it may send now. */
const headWindow = 200;

/** The only code that touches the hubDeliveries collection: the durable outbox of webhook events. */
export class DeliveryRepository extends DocumentRepository<DeliveryDocument> {
  static async open(db: Db): Promise<DeliveryRepository> {
    return new DeliveryRepository(await this.collectionWithIndexes<DeliveryDocument>(db, 'hubDeliveries', deliveryIndexes), 'hub delivery');
  }

  /**
   * The hubs that have a delivery due and not leased, those with the oldest such event first, at
   * most `limit`. One hub with a long queue takes one place here, not its queue's length.
   */
  async hubsWithDue(now: Date, limit: number): Promise<string[]> {
    const groups = await withDriverErrors(
      () =>
        this.collection
          .aggregate<{ _id: string; seq: number }>([
            { $match: this.scope({ nextAttemptAt: { $lte: now }, ...unleased(now) }) },
            { $group: { _id: '$hubId', seq: { $min: '$seq' } } },
            { $sort: { seq: 1 } },
            { $limit: limit },
          ])
          .toArray(),
      'Finding due hub deliveries',
    );
    return groups.map((g) => g._id);
  }

  /**
   * The delivery of this hub to send next: the earliest in the hub's order that is due and first
   * in line for its subject (an earlier event of the same usage or job that waits for a retry holds
   * the later ones back, so each subject's events arrive in order; other subjects go on).
   */

  /** Deliveries not yet made, across tenants, and when the oldest one's event happened (for the metrics). */
  async backlog(): Promise<{ pending: number; oldest: Date | null }> {
    const [row] = await withDriverErrors(
      () =>
        this.collection
          .aggregate<{ pending: number; oldest: Date | null }>([{ $group: { _id: null, pending: { $sum: 1 }, oldest: { $min: '$queuedAt' } } }], {
            maxTimeMS: 2_000,
          })
          .toArray(),
      'Reading the webhook backlog',
    );
    return { pending: row?.pending ?? 0, oldest: row?.oldest ?? null };
  }

  async headFor(hubId: string, now: Date): Promise<DeliveryDocument | null> {
    const queue = await withDriverErrors(
      () => this.collection.find(this.scope({ hubId })).sort({ seq: 1 }).limit(headWindow).toArray(),
      'Ordering hub deliveries',
    );
    const held = new Set<string>();
    for (const d of queue) {
      const free = d.leaseUntil === null || d.leaseUntil === undefined || d.leaseUntil < now;
      if (!held.has(d.subjectId) && free && d.nextAttemptAt <= now) return d;
      held.add(d.subjectId);
    }
    return null;
  }

  /** Registering a hub again: its waiting deliveries are due now (still in their order). */
  async dueNowForHub(hubId: string, now: Date): Promise<void> {
    await withDriverErrors(
      () => this.collection.updateMany(this.scope({ hubId, nextAttemptAt: { $gt: now } }), { $set: { nextAttemptAt: now } }),
      'Rescheduling hub deliveries',
    );
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
