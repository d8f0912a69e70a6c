import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../platform/logger.js';
import type { UsagesSummary } from '../generated/resolvers.js';
import type { IngestBatchRepository, IngestErrorRepository, IngestJobRepository } from './job-repository.js';
import type { IngestErrorDocument } from './documents.js';
import type { NormalizedUsage } from './usages.js';
import type { IngestOutcome, UsageIngestor } from './ingestor.js';
import type { IngestRejections } from '../rejections/events.js';

export interface IngestJobSettings {
  /** Usages stored per command while a job runs. */
  chunkSize: number;
  /** Jobs run at once by one process; more wait their turn (writers only queue up in the database). */
  concurrency: number;
  /** A running job whose runner has been silent this long is taken over (its process died). */
  staleAfterMs: number;
}

/** Counts per (application, unit, processStatus), in first-seen order. */
export function summarize(outcomes: readonly IngestOutcome[]): UsagesSummary[] {
  const counts = new Map<string, UsagesSummary>();
  for (const outcome of outcomes) {
    const processStatus = outcome.kind === 'rejected' ? 'VERIFICATIONFAILED' : outcome.processStatus;
    const key = JSON.stringify([outcome.application, outcome.unit, processStatus]);
    const entry = counts.get(key) ?? { application: outcome.application, unit: outcome.unit, processStatus, usagesCount: 0 };
    entry.usagesCount += 1;
    counts.set(key, entry);
  }
  return [...counts.values()];
}

/**
 * Runs ingestion jobs in the background of the usage subgraph, chunk by chunk. A job is claimed
 * atomically; one left by a stopped process is released at stop (taken again at the next start) or,
 * if the process died, taken over once stale. A resumed job goes through its whole batch again:
 * usage ids derive from idempotency keys and error ids from positions, so nothing is lost or stored
 * twice, and its counts are computed from the outcomes of that one complete pass.
 */
export class IngestJobRunner {
  private readonly runner = randomUUID();
  private readonly running = new Set<Promise<void>>();
  private readonly runningIds = new Set<string>();
  private sweeper: NodeJS.Timeout | undefined;
  private stopping = false;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly jobs: IngestJobRepository,
    private readonly batches: IngestBatchRepository,
    private readonly errors: IngestErrorRepository,
    private readonly ingestor: UsageIngestor,
    private readonly settings: IngestJobSettings,
    private readonly log: Logger,
    /** Each refusal a chunk records, published to hubs and subscribers (rejections/events.ts). */
    private readonly rejections: IngestRejections,
  ) {}

  /** Runs a job in the background; `batch` is its batch when the caller has it in hand (not read back then). */
  start(id: string, batch?: NormalizedUsage[]): void {
    if (this.stopping || this.runningIds.has(id)) return;
    this.runningIds.add(id);
    const run = this.run(id, batch)
      .catch(async (error: unknown) => {
        // Given back, so the next sweep tries again (the usages stored so far are acknowledged then).
        this.log.error(`ingestion job ${id} failed; it is tried again`, error);
        await this.jobs.release(id, this.runner).catch(() => undefined);
      })
      .finally(() => {
        this.running.delete(run);
        this.runningIds.delete(id);
      });
    this.running.add(run);
  }

  /**
   * Starts the jobs left waiting, given back, or silent for too long, now and then every half
   * staleness period: jobs of a process that died, and jobs whose run failed (a lost database).
   */
  async resumeInterrupted(): Promise<void> {
    for (const id of await this.jobs.claimable(new Date(Date.now() - this.settings.staleAfterMs))) this.start(id);
    await this.removeLeftBatches();
    this.sweeper ??= setInterval(
      () => {
        this.resumeInterrupted().catch((error: unknown) => this.log.warn('could not look for ingestion jobs to resume', error));
      },
      Math.max(1_000, this.settings.staleAfterMs / 2),
    ).unref();
  }

  /**
   * Removes the batches a stopped process left: of a job that finished (stopped between the job's
   * finish and its batch's removal), or of a job that does not exist (stopped between the two
   * inserts of createUsageIngestJob, or the job removed by hand; such a batch is given a minute, as
   * its job may be on its way). Every batch is looked at, a page at a time: those of waiting jobs
   * are kept, and do not hide leftovers behind them. Not a TTL index, although FerretDB 2 accepts
   * one (DocumentDB's pg_cron job expires documents, at best once a minute: FerretDB/FerretDB#4818):
   * a batch's age says nothing of its job, which may wait for hours behind others or for the
   * database, and a batch removed too soon loses its job's usages.
   */
  private async removeLeftBatches(): Promise<void> {
    const unborn = Date.now() - 60_000;
    let removed = 0;
    let batches = await this.batches.listAfter(null, 500);
    while (batches.length) {
      const jobs = new Map((await this.jobs.findByIds(batches.map((b) => b._id))).map((job) => [job._id, job]));
      const left = batches.filter((batch) => {
        const job = jobs.get(batch._id);
        return job ? job.status === 'COMPLETED' || job.status === 'ERRORS' : (batch.storedAt?.getTime() ?? 0) < unborn;
      });
      await this.batches.removeAll(left.map((b) => b._id));
      removed += left.length;
      batches = await this.batches.listAfter(batches.at(-1)!._id, 500);
    }
    if (removed) this.log.info(`removed ${removed} ingestion batch(es) left by a stopped process`);
  }

  /** Stops at the next chunk and gives running jobs back (shutdown). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweeper);
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** Waits until no job runs (tests). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private async run(id: string, batch?: NormalizedUsage[]): Promise<void> {
    if (this.active >= this.settings.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      await this.runClaimed(id, batch);
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }

  private async runClaimed(id: string, given?: NormalizedUsage[]): Promise<void> {
    if (this.stopping) return;
    const job = await this.jobs.claim(id, this.runner, new Date(), new Date(Date.now() - this.settings.staleAfterMs));
    if (!job) return;
    // Which process runs a job: the line an operator (or a test) finds the runner of a job by.
    this.log.info(`ingestion job ${id} claimed by runner ${this.runner} (${job.processedCount} of its usages done before)`);
    // Found across tenants, run as the job's own: its usages, rules and errors are its tenant's.
    if (!job.tenant) throw new Error(`ingestion job ${id} has no tenant`);
    const ingestor = this.ingestor.forTenant(job.tenant);
    const errorsOfTenant = this.errors.forTenant(job.tenant);
    const usages = given ?? (await this.batches.get(id))?.usages.map((u): NormalizedUsage => ({ ...u, datetime: new Date(u.datetime) }));
    if (!usages) throw new Error(`ingestion job ${id} has no batch`);
    const outcomes: IngestOutcome[] = [];
    // Rules are checked against the job's arrival, so a resumed job judges dates as it would have then.
    const now = job.time;
    for (let start = 0; start < usages.length; start += this.settings.chunkSize) {
      if (this.stopping) {
        await this.jobs.release(id, this.runner);
        return;
      }
      const chunk = await ingestor.ingest(usages.slice(start, start + this.settings.chunkSize), { jobId: id, firstIndex: start, now });
      const errors: IngestErrorDocument[] = [];
      const recordedAt = new Date();
      for (const outcome of chunk) {
        outcomes.push(outcome);
        if (outcome.kind === 'rejected') errors.push({ ...outcome.error, _id: `${id}:${outcome.error.index}`, jobId: id, recordedAt, eventPending: true });
      }
      // Stored first, so a subscriber can read the error it is told of; settled once published, so
      // a run that takes the job over publishes only what this one did not (at least once).
      const owed = await errorsOfTenant.record(errors);
      await this.rejections.publish(job.tenant, owed);
      await errorsOfTenant.settleEvents(owed.map((error) => error._id));
      // Progress between chunks (the heartbeat that keeps others off); after the last, finish says it.
      if (outcomes.length < usages.length && !(await this.jobs.progress(id, this.runner, outcomes.length, new Date()))) return;
    }
    const errorCount = outcomes.filter((o) => o.kind === 'rejected').length;
    const finished = await this.jobs.finish(id, this.runner, {
      status: errorCount ? 'ERRORS' : 'COMPLETED',
      usagesSummary: summarize(outcomes),
      errorCount,
      completionTime: new Date(),
      processedCount: outcomes.length,
    });
    // Only the runner that finished the job removes its batch. One that was taken over while silent
    // (paused, or one chunk slower than the staleness period) leaves it to the runner now holding
    // the job: removed here, a kill of that runner would leave a job nobody can ever run again.
    if (finished) await this.batches.remove(id);
    else this.log.info(`ingestion job ${id} was taken over by another runner while this one was silent; left to it`);
  }
}
