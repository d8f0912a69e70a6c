import type { Db } from 'mongodb';
import { backgroundComment, withDriverErrors } from '../../../platform/mongo.js';
import { DocumentRepository, type IndexKey } from '../../shared/repository.js';
import type { Bucket } from './buckets.js';

/**
 * A bucket whose rollup may be behind its usages. `seq` counts the marks: the maintainer removes a
 * mark only if nobody marked it again while it recomputed (then it recomputes once more).
 */
export type MarkDocument = {
  _id: string;
  tenant: string;
  seq: number;
  markedAt: Date;
  /** Set while one maintainer recomputes it; another takes it over once this has passed. */
  claimedUntil?: Date;
  claimedBy?: string;
} & Bucket;

/** Code-unit order of ids: the one order every writer of marks uses (mark, release). */
const idOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The marks of buckets to recompute: written around every usage write (maintainer.ts), normally a handful. */
export class MarkRepository extends DocumentRepository<MarkDocument> {
  static async open(db: Db): Promise<MarkRepository> {
    const indexes: IndexKey[] = [
      { markedAt: 1 },
      // The marks a count or an aggregate of one tenant reads, to know which rollups are behind.
      { tenant: 1, kind: 1 },
    ];
    return new MarkRepository(await this.collectionWithIndexes<MarkDocument>(db, 'rollupMarks', indexes), 'rollup mark');
  }

  /** Marks the buckets of `tenant` (one unordered command): upserted, their `seq` raised. */
  async mark(tenant: string, buckets: ReadonlyMap<string, Bucket>, now: Date): Promise<void> {
    if (!buckets.size) return;
    await withDriverErrors(
      () =>
        this.collection.bulkWrite(
          // In one order of _id for every writer: concurrent writes marking the same buckets in
          // different orders deadlocked in PostgreSQL ("deadlock detected", seen with four ingestion
          // batches in flight over the same hours), failing a write's first mark and so the write.
          [...buckets]
            .sort(([a], [b]) => idOrder(a, b))
            .map(([_id, bucket]) => ({
              updateOne: {
                filter: { _id },
                update: { $inc: { seq: 1 }, $set: { markedAt: now }, $setOnInsert: { tenant, ...bucket } },
                upsert: true,
              },
            })),
          { ordered: false },
        ),
      'Marking rollups',
    );
  }

  /** Marks older than `before` nobody holds, claimed for `owner` until `until`: the ones this maintainer recomputes. */
  async claim(before: Date, owner: string, until: Date, limit: number): Promise<MarkDocument[]> {
    const now = new Date();
    const free = { markedAt: { $lt: before }, $or: [{ claimedUntil: { $exists: false } }, { claimedUntil: { $lt: now } }] };
    return withDriverErrors(async () => {
      const candidates = await this.collection
        .find(free, { projection: { _id: 1 }, comment: backgroundComment })
        .limit(limit)
        .toArray();
      if (!candidates.length) return [];
      const ids = candidates.map((mark) => mark._id);
      // The same condition again: another maintainer that claimed one in between keeps it.
      await this.collection.updateMany({ ...free, _id: { $in: ids } }, { $set: { claimedUntil: until, claimedBy: owner } }, { comment: backgroundComment });
      return this.collection.find({ _id: { $in: ids }, claimedBy: owner, claimedUntil: until }, { comment: backgroundComment }).toArray();
    }, 'Claiming rollup marks');
  }

  /**
   * Releases claimed marks: removed where `seq` is still the one read when claimed (the rollup is
   * now as recent as every write that marked it), freed for the next round where a write marked it
   * since.
   */
  async release(marks: readonly MarkDocument[], owner: string): Promise<void> {
    if (!marks.length) return;
    await withDriverErrors(async () => {
      await this.collection.bulkWrite(
        // In mark()'s order of _id, for the same reason.
        [...marks].sort((a, b) => idOrder(a._id, b._id)).map((mark) => ({ deleteOne: { filter: { _id: mark._id, seq: mark.seq, claimedBy: owner } } })),
        { ordered: false, comment: backgroundComment },
      );
      await this.collection.updateMany(
        { _id: { $in: marks.map((mark) => mark._id) }, claimedBy: owner },
        { $unset: { claimedUntil: '', claimedBy: '' } },
        { comment: backgroundComment },
      );
    }, 'Releasing rollup marks');
  }

  /**
   * The marked buckets of one tenant and kind (a count or aggregate computes these from usages);
   * `limit + 1` read at most. `what` names the read the client asked for, in an error.
   */
  async ofTenant<K extends Bucket['kind']>(tenant: string, kind: K, limit: number, what: string): Promise<Extract<MarkDocument, { kind: K }>[]> {
    return withDriverErrors(
      () =>
        this.collection
          .find({ tenant, kind }, { ...this.bounded, projection: { _id: 1, kind: 1, hour: 1, application: 1, unit: 1, day: 1 } })
          .limit(limit + 1)
          .toArray() as Promise<Extract<MarkDocument, { kind: K }>[]>,
      what,
    );
  }
}
