import type { Db } from 'mongodb';
import { backgroundComment, withDriverErrors } from '../../../platform/mongo.js';
import { DocumentRepository, type IndexKey } from '../../shared/repository.js';
import type { ExportJobDocument } from './documents.js';

const indexes: IndexKey[] = [
  { tenant: 1, creationDate: -1, _id: -1 },
  { status: 1, heartbeat: 1 },
  { tenant: 1, status: 1 },
];

/** The only code that touches the exportJobs collection. */
export class ExportJobRepository extends DocumentRepository<ExportJobDocument> {
  static async open(db: Db): Promise<ExportJobRepository> {
    return new ExportJobRepository(await this.collectionWithIndexes<ExportJobDocument>(db, 'exportJobs', indexes), 'export job');
  }

  /**
   * Takes a job for `runner` if it is waiting, or running under a runner silent since `staleBefore`
   * (its process died). Atomic, so two instances never run the same job.
   */
  claim(id: string, runner: string, now: Date, staleBefore: Date): Promise<ExportJobDocument | null> {
    return withDriverErrors(
      () =>
        this.collection.findOneAndUpdate(
          this.scope({ _id: id, $or: [{ status: 'NotStarted' }, { status: 'Running', heartbeat: { $lt: staleBefore } }] }),
          { $set: { status: 'Running', runner, heartbeat: now, exportedCount: 0 } },
          { returnDocument: 'after' },
        ),
      'Claiming an export job',
    );
  }

  /** Jobs waiting or running (of this view's tenant): what EXPORT_MAX_CONCURRENT caps. */
  unfinishedCount(): Promise<number> {
    return withDriverErrors(() => this.collection.countDocuments(this.scope({ status: { $in: ['NotStarted', 'Running'] } })), 'Counting running export jobs');
  }

  /**
   * Ids of jobs that are waiting or whose runner went silent. Jobs stored before tenant isolation (no
   * tenant) are left alone: no caller can see them.
   */
  async claimable(staleBefore: Date): Promise<string[]> {
    const docs = await withDriverErrors(
      () =>
        this.collection
          .find(this.scope({ tenant: { $exists: true }, $or: [{ status: 'NotStarted' }, { status: 'Running', heartbeat: { $lt: staleBefore } }] }), {
            projection: { _id: 1 },
            comment: backgroundComment,
          })
          .toArray(),
      'Finding export jobs to resume',
    );
    return docs.map((doc) => doc._id);
  }

  /** Records progress; null when the job was deleted meanwhile (the runner then stops). */
  progress(id: string, runner: string, exportedCount: number, now: Date): Promise<ExportJobDocument | null> {
    return withDriverErrors(
      () => this.collection.findOneAndUpdate(this.scope({ _id: id, runner }), { $set: { exportedCount, heartbeat: now } }, { returnDocument: 'after' }),
      'Recording export progress',
    );
  }

  /** Records the outcome; null when the job was deleted or taken over meanwhile. */
  finish(id: string, runner: string, fields: Partial<ExportJobDocument>): Promise<ExportJobDocument | null> {
    return withDriverErrors(
      () => this.collection.findOneAndUpdate(this.scope({ _id: id, runner }), { $set: fields }, { returnDocument: 'after' }),
      'Finishing an export job',
    );
  }
}
