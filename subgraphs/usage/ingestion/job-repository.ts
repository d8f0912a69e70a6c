import type { Db, Filter } from 'mongodb';
import { backgroundComment, withDriverErrors } from '../../../platform/mongo.js';
import type { Page } from '../../shared/query.js';
import { DocumentRepository, type IndexKey } from '../../shared/repository.js';
import type { UsagesSummary } from '../generated/resolvers.js';
import type { IngestBatchDocument, IngestErrorDocument, IngestJobDocument } from './documents.js';

/** The only code that touches the usageIngestJobs collection. */
export class IngestJobRepository extends DocumentRepository<IngestJobDocument> {
  /** When the oldest job still waiting or running was accepted, across tenants (the ingestion lag of the metrics). */
  async oldestPending(): Promise<Date | null> {
    const [row] = await withDriverErrors(
      () =>
        this.collection
          .aggregate<{ oldest: Date | null }>(
            [{ $match: { status: { $in: ['ACCEPTED', 'INPROGRESS'] } } }, { $group: { _id: null, oldest: { $min: '$time' } } }],
            { maxTimeMS: 2_000, comment: backgroundComment },
          )
          .toArray(),
      'Reading the ingestion backlog',
    );
    return row?.oldest ?? null;
  }

  static async open(db: Db): Promise<IngestJobRepository> {
    const indexes: IndexKey[] = [
      { tenant: 1, time: -1, _id: -1 },
      { status: 1, heartbeat: 1 },
      { tenant: 1, day: 1 },
      { tenant: 1, tenants: 1 },
      { tenant: 1, applications: 1 },
      { tenant: 1, units: 1 },
    ];
    return new IngestJobRepository(await this.collectionWithIndexes<IngestJobDocument>(db, 'usageIngestJobs', indexes), 'ingestion job');
  }

  override find(filter: Filter<IngestJobDocument>, sort: Record<string, 1 | -1>, page: Page): Promise<IngestJobDocument[]> {
    return withDriverErrors(
      () => this.collection.find(this.scope(filter), this.bounded).sort(sort).skip(page.skip).limit(page.limit).toArray(),
      'Listing ingestion jobs',
    );
  }

  /** Takes a job that is waiting, or running under a runner silent since `staleBefore`. Atomic across instances. */
  claim(id: string, runner: string, now: Date, staleBefore: Date): Promise<IngestJobDocument | null> {
    return withDriverErrors(
      () =>
        this.collection.findOneAndUpdate(
          this.scope({ _id: id, $or: [{ status: 'ACCEPTED' }, { status: 'INPROGRESS', heartbeat: { $lt: staleBefore } }] }),
          { $set: { status: 'INPROGRESS', runner, heartbeat: now } },
          { returnDocument: 'after' },
        ),
      'Claiming an ingestion job',
    );
  }

  /** Jobs stored before tenant isolation (no tenant) are left alone: no caller can see them. */
  async claimable(staleBefore: Date): Promise<string[]> {
    const docs = await withDriverErrors(
      () =>
        this.collection
          .find(this.scope({ tenant: { $exists: true }, $or: [{ status: 'ACCEPTED' }, { status: 'INPROGRESS', heartbeat: { $lt: staleBefore } }] }), {
            projection: { _id: 1 },
            comment: backgroundComment,
          })
          .sort({ time: 1, _id: 1 })
          .toArray(),
      'Finding ingestion jobs to resume',
    );
    return docs.map((doc) => doc._id);
  }

  async progress(id: string, runner: string, processedCount: number, now: Date): Promise<boolean> {
    const result = await withDriverErrors(
      () => this.collection.updateOne(this.scope({ _id: id, runner }), { $set: { processedCount, heartbeat: now } }),
      'Recording ingestion progress',
    );
    return result.matchedCount === 1;
  }

  /** Gives a job back (a stopping process): the next start takes it at once instead of waiting for staleness. */
  async release(id: string, runner: string): Promise<void> {
    await withDriverErrors(
      () => this.collection.updateOne(this.scope({ _id: id, runner }), { $set: { heartbeat: new Date(0), runner: null } }),
      'Releasing an ingestion job',
    );
  }

  /** Whether `runner` still held the job and finished it (false: another runner took it over meanwhile). */
  async finish(
    id: string,
    runner: string,
    fields: { status: 'COMPLETED' | 'ERRORS'; usagesSummary: UsagesSummary[]; errorCount: number; completionTime: Date; processedCount: number },
  ): Promise<boolean> {
    const result = await withDriverErrors(
      () => this.collection.updateOne(this.scope({ _id: id, runner }), { $set: { ...fields, runner: null, heartbeat: null } }),
      'Finishing an ingestion job',
    );
    return result.matchedCount === 1;
  }
}

/** The only code that touches the usageIngestBatches collection. */
export class IngestBatchRepository extends DocumentRepository<IngestBatchDocument> {
  static async open(db: Db): Promise<IngestBatchRepository> {
    return new IngestBatchRepository(await this.collectionWithIndexes<IngestBatchDocument>(db, 'usageIngestBatches', []), 'ingestion batch');
  }

  get(jobId: string): Promise<IngestBatchDocument | null> {
    return withDriverErrors(() => this.collection.findOne(this.scope({ _id: jobId })), 'Reading an ingestion batch');
  }

  async remove(jobId: string): Promise<void> {
    await withDriverErrors(() => this.collection.deleteOne(this.scope({ _id: jobId })), 'Removing an ingestion batch');
  }

  /**
   * Up to `limit` batches after `afterId` in id order, without their usages: few exist (those of
   * jobs not finished), and paging by id reaches every one however many wait.
   */
  listAfter(afterId: string | null, limit: number): Promise<Pick<IngestBatchDocument, '_id' | 'storedAt'>[]> {
    return withDriverErrors(
      () =>
        this.collection
          .find(this.scope(afterId === null ? {} : { _id: { $gt: afterId } }), { projection: { _id: 1, storedAt: 1 }, comment: backgroundComment })
          .sort({ _id: 1 })
          .limit(limit)
          .toArray(),
      'Listing ingestion batches',
    );
  }

  async removeAll(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length) await withDriverErrors(() => this.collection.deleteMany(this.scope({ _id: { $in: [...jobIds] } })), 'Removing ingestion batches');
  }
}

/** The only code that touches the usageIngestErrors collection. */
export class IngestErrorRepository extends DocumentRepository<IngestErrorDocument> {
  static async open(db: Db): Promise<IngestErrorRepository> {
    return new IngestErrorRepository(
      await this.collectionWithIndexes<IngestErrorDocument>(db, 'usageIngestErrors', [{ tenant: 1, jobId: 1, index: 1 }]),
      'ingestion error',
    );
  }

  /**
   * Records errors; those a previous run of the same job recorded already are left as they are.
   * Returns the errors whose rejection event is owed: those recorded now, and those an earlier run
   * recorded but stopped before publishing (read only when there are such, on a resumed job).
   */
  async record(errors: readonly IngestErrorDocument[]): Promise<IngestErrorDocument[]> {
    const duplicates = await this.insertNew(errors);
    const fresh = errors.filter((_, n) => !duplicates.has(n));
    if (!duplicates.size) return fresh;
    const ids = errors.filter((_, n) => duplicates.has(n)).map((error) => error._id);
    const owed = await withDriverErrors(
      () => this.collection.find(this.scope({ _id: { $in: ids }, eventPending: true })).toArray(),
      'Reading the ingestion errors whose events are owed',
    );
    return [...fresh, ...owed].sort((a, b) => a.index - b.index);
  }

  /** Their rejection events were published: no later run of the job publishes them again. */
  async settleEvents(ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    await withDriverErrors(
      () => this.collection.updateMany(this.scope({ _id: { $in: [...ids] } }), { $unset: { eventPending: '' } }),
      'Settling ingestion rejection events',
    );
  }
}
