import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { BSON, type Filter, type Sort } from 'mongodb';
import { UsageGraphError } from '../../../platform/errors.js';
import type { Logger } from '../../../platform/logger.js';
import type { ExportJobRepository } from './repository.js';
import { usageShape, type ProductUsageDocument } from '../product-usage/documents.js';
import { type ExportJobDocument } from './documents.js';
import type { ProductUsageRepository } from '../product-usage/repository.js';

/** A running export reports progress every this many usages, and at least every third of its staleness period. */
const progressEvery = 1_000;

/**
 * Runs export jobs in the background of the usage subgraph: claims a job atomically, streams the
 * matching usages from a cursor into DATA_DIR/exports/<id>.ndjson (one GraphQL-shaped usage per
 * line, written with backpressure, renamed into place only when complete), and records the outcome.
 * Jobs left waiting, or running but silent for `staleAfterMs` (their process died), are taken over
 * by whichever usage subgraph looks first: at start-up and every half staleness period after. The
 * claim is atomic, so one runner runs a job; a runner that finds it was taken over stops writing.
 * Several instances must share DATA_DIR/exports (docs/deploy.md): the file is served by whichever
 * instance a download reaches.
 */
export class ExportRunner {
  private readonly runner = randomUUID();
  private readonly running = new Set<Promise<void>>();
  private readonly runningIds = new Set<string>();

  constructor(
    private readonly jobs: ExportJobRepository,
    private readonly usages: ProductUsageRepository,
    private readonly directory: string,
    private readonly staleAfterMs: number,
    private readonly log: Logger,
    /** Told of every status a job moves to (Running, Succeeded, Failed): the hubs' ExportJobStateChangeEvent. */
    private readonly onStateChange: (job: ExportJobDocument) => Promise<void>,
  ) {}

  static encodeQuery(filter: Filter<ProductUsageDocument>, sort: Sort): { filter: string; sort: string } {
    return { filter: BSON.EJSON.stringify(filter, { relaxed: false }), sort: JSON.stringify(sort) };
  }

  filePath(id: string): string {
    return path.join(this.directory, `${id}.ndjson`);
  }

  /** Starts a job in the background; its outcome is recorded on the job. */
  start(id: string): void {
    this.runningIds.add(id);
    const run = this.run(id)
      .catch((error: unknown) => this.log.error(`export ${id} could not record its outcome`, error))
      .finally(() => {
        this.running.delete(run);
        this.runningIds.delete(id);
      });
    this.running.add(run);
  }

  /** Starts every job waiting or left silent; server.ts calls it at start and every half staleness period. */
  async resumeInterrupted(): Promise<void> {
    for (const id of await this.jobs.claimable(new Date(Date.now() - this.staleAfterMs))) {
      if (!this.runningIds.has(id)) this.start(id);
    }
  }

  /** Waits for running exports (tests, and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  async openFile(id: string): Promise<ReadStream | null> {
    const file = this.filePath(id);
    return (await stat(file).catch(() => null)) ? createReadStream(file) : null;
  }

  async removeFile(id: string): Promise<void> {
    await rm(this.filePath(id), { force: true });
    await rm(`${this.filePath(id)}.${this.runner}.part`, { force: true });
  }

  private async finish(id: string, fields: Partial<ExportJobDocument>): Promise<void> {
    const finished = await this.jobs.finish(id, this.runner, fields);
    if (finished) await this.onStateChange(finished);
  }

  private async run(id: string): Promise<void> {
    const job = await this.jobs.claim(id, this.runner, new Date(), new Date(Date.now() - this.staleAfterMs));
    if (!job) return;
    this.log.info(`export ${id} claimed by runner ${this.runner}`);
    await this.onStateChange(job);
    // This runner's own part file: a runner that was only paused (not dead) when its job was taken
    // over still writes its own until its next progress report tells it to stop.
    const part = `${this.filePath(id)}.${this.runner}.part`;
    let count = 0;
    let reportedAt = Date.now();
    try {
      await mkdir(this.directory, { recursive: true });
      const out = createWriteStream(part);
      const closed = once(out, 'close');
      try {
        // The job's own tenant's usages only (a job stored before tenant isolation has none: it fails).
        if (!job.tenant) throw new Error(`export ${id} has no tenant`);
        for await (const doc of this.usages
          .forTenant(job.tenant)
          .stream(BSON.EJSON.parse(job.filter) as Filter<ProductUsageDocument>, JSON.parse(job.sort) as Sort)) {
          if (!out.write(`${JSON.stringify(usageShape(doc))}\n`)) await once(out, 'drain');
          count += 1;
          const due = count % progressEvery === 0 || Date.now() - reportedAt > this.staleAfterMs / 3;
          if (due) {
            reportedAt = Date.now();
            // Null: the job was deleted, or taken over by another runner; either way it is not ours.
            if (!(await this.jobs.progress(id, this.runner, count, new Date()))) throw new JobDeleted();
          }
        }
      } finally {
        out.end();
        await closed;
      }
      await rename(part, this.filePath(id));
      await this.finish(id, {
        status: 'Succeeded',
        exportedCount: count,
        completionDate: new Date(),
        downloadPath: `/exports/${id}`,
        heartbeat: null,
      });
    } catch (error) {
      await rm(part, { force: true });
      if (error instanceof JobDeleted) return;
      this.log.warn(`export ${id} failed`, error);
      await this.finish(id, {
        status: 'Failed',
        exportedCount: count,
        completionDate: new Date(),
        // Clients read errorLog: it says what happened, not the internal error (that is in the log).
        errorLog: `The export stopped after ${count} usages because ${
          error instanceof UsageGraphError ? error.message : 'of an internal error'
        }; create a new export job to try again.`,
        heartbeat: null,
      });
    }
  }
}

class JobDeleted extends Error {}
