import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateIngestJobDocument, CreateRuleDocument, IngestJobDocument, IngestJobsDocument, type UsageIngestInput } from '../operations/generated.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';
import { waitUntil } from '../support/wait.js';

/** Ingestion jobs through the graph: states, counts, paged errors, resends, and a restart in the middle. */
let stack: Stack;
const t0 = Date.now();
const at = (offsetDays: number, i = 0) => new Date(t0 + offsetDays * 86_400_000 + i * 1000).toISOString();

const usage = (i: number, overrides: Partial<UsageIngestInput> = {}): UsageIngestInput => ({
  tenantId: 'jobs-tenant',
  userId: 'u1',
  application: 'jobs-app',
  resource: `res-${i}`,
  unit: 'count',
  value: i,
  datetime: at(-1, i),
  ...overrides,
});

async function finished(id: string, on = stack) {
  const seen: string[] = [];
  const job = await waitUntil(
    `ingestion job ${id} to finish`,
    async () => {
      const { usageIngestJob: job } = dataOf(await on.request(IngestJobDocument, { id, limit: 100 }));
      if (job && seen.at(-1) !== job.status) seen.push(job.status);
      return job;
    },
    (job) => job?.status === 'COMPLETED' || job?.status === 'ERRORS',
  );
  return { job: job!, seen };
}

const usagesOf = (application: string, on = stack) => on.db.collection('productUsages').find({ 'ingest.application': application }).toArray();

beforeAll(async () => {
  stack = await startStack('ingestion_jobs', { INGEST_JOB_CHUNK_SIZE: '7' });
  dataOf(await stack.request(CreateRuleDocument, { input: { application: 'jobs-app', unit: 'count', maxValue: 90 } }));
});
afterAll(async () => {
  await stack?.close();
});

describe('usage ingestion jobs', () => {
  it('accepts a batch, then completes it: counts per application, unit and processStatus', async () => {
    const usages = [...Array.from({ length: 20 }, (_, i) => usage(i)), usage(100, { unit: 'free-unit' })];
    const { createUsageIngestJob: job } = dataOf(await stack.request(CreateIngestJobDocument, { usages }));
    expect(job).toMatchObject({ status: 'ACCEPTED', usagesCount: 21 });
    expect(job.usagesSummary).toEqual([
      { application: 'jobs-app', unit: 'count', processStatus: 'ACCEPTED', usagesCount: 20 },
      { application: 'jobs-app', unit: 'free-unit', processStatus: 'ACCEPTED', usagesCount: 1 },
    ]);
    const { job: done } = await finished(job.id);
    expect(done.status).toBe('COMPLETED');
    expect(done.completionTime).toEqual(expect.any(String));
    expect(done.usagesSummary).toEqual([
      { application: 'jobs-app', unit: 'count', processStatus: 'VERIFIED', usagesCount: 20 },
      { application: 'jobs-app', unit: 'free-unit', processStatus: 'NOVERIFICATION', usagesCount: 1 },
    ]);
    expect(done.errors).toEqual({ totalCount: 0, items: [] });
  });

  it('ends in ERRORS for a mixed batch, keeps the valid usages and pages the errors in batch order', async () => {
    const usages = Array.from({ length: 30 }, (_, i) => usage(i, { application: 'jobs-mixed', value: i % 3 === 0 ? 1000 : i, resource: `m-${i}` }));
    dataOf(await stack.request(CreateRuleDocument, { input: { application: 'jobs-mixed', unit: 'count', maxValue: 500 } }));
    const { createUsageIngestJob: job } = dataOf(await stack.request(CreateIngestJobDocument, { usages }));
    const { job: done } = await finished(job.id);
    expect(done.status).toBe('ERRORS');
    expect(done.usagesSummary).toEqual([
      { application: 'jobs-mixed', unit: 'count', processStatus: 'VERIFICATIONFAILED', usagesCount: 10 },
      { application: 'jobs-mixed', unit: 'count', processStatus: 'VERIFIED', usagesCount: 20 },
    ]);
    expect((await usagesOf('jobs-mixed')).length).toBe(20);
    const page2 = dataOf(await stack.request(IngestJobDocument, { id: job.id, offset: 4, limit: 4 })).usageIngestJob!.errors;
    expect(page2.totalCount).toBe(10);
    expect(page2.items.map((e) => [e.index, e.rule, e.errorType])).toEqual([12, 15, 18, 21].map((i) => [i, 'maxValue', 'ValidationError']));
  });

  it('acknowledges a resent job without storing twice, and reports a changed resend as CONFLICT errors', async () => {
    const usages = Array.from({ length: 10 }, (_, i) => usage(i, { application: 'jobs-resend', resource: `r-${i}` }));
    const first = await finished(dataOf(await stack.request(CreateIngestJobDocument, { usages })).createUsageIngestJob.id);
    const again = await finished(dataOf(await stack.request(CreateIngestJobDocument, { usages })).createUsageIngestJob.id);
    expect(again.job.status).toBe('COMPLETED');
    expect(again.job.usagesSummary).toEqual(first.job.usagesSummary);
    expect((await usagesOf('jobs-resend')).length).toBe(10);

    const changed = usages.map((u, i) => (i < 3 ? { ...u, value: u.value + 0.5 } : u));
    const conflict = await finished(dataOf(await stack.request(CreateIngestJobDocument, { usages: changed })).createUsageIngestJob.id);
    expect(conflict.job.status).toBe('ERRORS');
    expect(conflict.job.errors.items.map((e) => [e.index, e.code, e.rule, e.errorType])).toEqual(
      [0, 1, 2].map((i) => [i, 'CONFLICT', 'idempotency', 'OtherError']),
    );
    expect((await usagesOf('jobs-resend')).map((d) => d.ingest.value).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('runs several jobs at once for an application and unit never seen before, each to completion', async () => {
    const jobs = await Promise.all(
      [0, 1, 2, 3].map(async (n) => {
        const usages = Array.from({ length: 40 }, (_, i) => usage(i, { application: 'jobs-concurrent', unit: 'fresh-unit', resource: `c-${n}-${i}` }));
        return dataOf(await stack.request(CreateIngestJobDocument, { usages })).createUsageIngestJob;
      }),
    );
    const done = await Promise.all(jobs.map((job) => finished(job.id)));
    expect(done.map((d) => d.job.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect((await usagesOf('jobs-concurrent')).length).toBe(160);
    expect(await stack.db.collection('productUsageSpecifications').countDocuments({ name: 'jobs-concurrent fresh-unit' })).toBe(1);
  });

  it('lists jobs newest first by day, tenant, application and unit', async () => {
    const a = dataOf(
      await stack.request(CreateIngestJobDocument, { usages: [usage(1, { tenantId: 'list-t1', application: 'list-app' })] }),
    ).createUsageIngestJob;
    const b = dataOf(
      await stack.request(CreateIngestJobDocument, { usages: [usage(2, { tenantId: 'list-t2', application: 'list-app', unit: 'other' })] }),
    ).createUsageIngestJob;
    await finished(a.id);
    await finished(b.id);
    const today = new Date().toISOString().slice(0, 10);
    const ids = async (filter: object) => dataOf(await stack.request(IngestJobsDocument, { filter, limit: 50 })).usageIngestJobs.items.map((j) => j.id);
    expect(await ids({ application: 'list-app' })).toEqual([b.id, a.id]);
    expect(await ids({ tenant: 'list-t1' })).toEqual([a.id]);
    expect(await ids({ application: 'list-app', unit: 'other' })).toEqual([b.id]);
    expect(await ids({ application: 'list-app', date: today })).toEqual([b.id, a.id]);
    expect(await ids({ application: 'list-app', date: '2001-01-01' })).toEqual([]);
    const bad = await stack.request(IngestJobsDocument, { filter: { date: '25.11.2026' } });
    expect(bad.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('a job interrupted by a restart', () => {
  it('resumes when the system starts again and finishes without loss or duplicates', async () => {
    const name = 'ingestion_restart';
    const env = { INGEST_JOB_CHUNK_SIZE: '5' };
    let first: Stack | undefined = await startStack(name, env);
    let second: Stack | undefined;
    try {
      dataOf(await first.request(CreateRuleDocument, { input: { application: 'restart-app', unit: 'count', maxValue: 1000 } }));
      const usages = Array.from({ length: 300 }, (_, i) => usage(i, { application: 'restart-app', resource: `x-${i}`, value: i % 50 === 0 ? 5000 : i }));
      const { createUsageIngestJob: job } = dataOf(await first.request(CreateIngestJobDocument, { usages }));
      const jobs = first.db.collection('usageIngestJobs');
      // Stop while it runs: after some usages are stored and before all are.
      await waitUntil(
        `ingestion job ${job.id} to have processed 10 usages`,
        () => jobs.findOne({ _id: job.id as never }),
        (doc) => (doc?.processedCount ?? 0) >= 10,
        { intervalMs: 5 },
      );
      await first.close();
      first = undefined;
      const stopped = await stack.db.client
        .db(stack.config.mongodbDb.replace('ingestion_jobs', name))
        .collection('usageIngestJobs')
        .findOne({ _id: job.id as never });
      expect(stopped).toMatchObject({ status: 'INPROGRESS' });
      expect(stopped!.processedCount).toBeGreaterThan(0);
      expect(stopped!.processedCount).toBeLessThan(300);
      const batches = (on: Stack) => on.db.collection('usageIngestBatches');
      expect(
        (
          await stack.db.client
            .db(stack.config.mongodbDb.replace('ingestion_jobs', name))
            .collection('usageIngestBatches')
            .findOne({ _id: job.id as never })
        )?.usages,
      ).toHaveLength(300);

      second = await startStack(name, env);
      const { job: done } = await finished(job.id, second);
      expect(done.status).toBe('ERRORS');
      expect(done.usagesSummary).toEqual([
        { application: 'restart-app', unit: 'count', processStatus: 'VERIFICATIONFAILED', usagesCount: 6 },
        { application: 'restart-app', unit: 'count', processStatus: 'VERIFIED', usagesCount: 294 },
      ]);
      expect(done.errors.totalCount).toBe(6);
      expect(done.errors.items.map((e) => e.index)).toEqual([0, 50, 100, 150, 200, 250]);
      const stored = await usagesOf('restart-app', second);
      expect(stored).toHaveLength(294);
      expect(new Set(stored.map((d) => d.ingest.resource)).size).toBe(294);
      // The batch is removed once the job has finished.
      expect(await batches(second).countDocuments({ _id: job.id as never })).toBe(0);
    } finally {
      await first?.close();
      await second?.close();
    }
  }, 90_000);
});

describe('batches a stopped process left', () => {
  it('are removed at the next start: of a finished job, and of a job never stored once a minute has passed', async () => {
    const name = 'ingestion_leftovers';
    let first: Stack | undefined = await startStack(name);
    let second: Stack | undefined;
    try {
      const { createUsageIngestJob: job } = dataOf(await first.request(CreateIngestJobDocument, { usages: [usage(1), usage(2)] }));
      await finished(job.id, first);
      const batches = first.db.collection<{ _id: string; usages: unknown[]; storedAt?: Date }>('usageIngestBatches');
      // What a process leaves when it stops between a job's finish and its batch's removal, and between
      // the batch's insert and the job's (one long ago, one just now).
      await batches.insertMany([
        { _id: job.id, usages: [], storedAt: new Date(), tenant: 'test-tenant' } as never,
        { _id: 'never-stored-old', usages: [], storedAt: new Date(Date.now() - 3_600_000), tenant: 'test-tenant' } as never,
        { _id: 'never-stored-new', usages: [], storedAt: new Date(), tenant: 'test-tenant' } as never,
      ]);
      await first.close();
      first = undefined;
      second = await startStack(name);
      expect((await second.db.collection('usageIngestBatches').find().toArray()).map((b) => b._id)).toEqual(['never-stored-new']);
    } finally {
      await first?.close();
      await second?.close();
    }
  }, 60_000);

  it('are found behind the batches of more jobs waiting than one page of the sweep reads', async () => {
    const name = 'ingestion_leftovers_paged';
    let first: Stack | undefined = await startStack(name);
    let second: Stack | undefined;
    try {
      // 600 jobs that wait (stored before tenant isolation, so no runner takes them and their batches
      // stay), stored before a finished job's leftover batch.
      const waiting = Array.from({ length: 600 }, (_, i) => `waiting-${String(i).padStart(3, '0')}`);
      const jobs = first.db.collection<{ _id: string; status: string; time: Date }>('usageIngestJobs');
      await jobs.insertMany(waiting.map((_id) => ({ _id, status: 'ACCEPTED', time: new Date() })));
      await first.db
        .collection<{ _id: string; usages: unknown[]; storedAt: Date }>('usageIngestBatches')
        .insertMany([...waiting, 'finished-left'].map((_id) => ({ _id, usages: [], storedAt: new Date(Date.now() - 3_600_000) })));
      await jobs.insertOne({ _id: 'finished-left', status: 'COMPLETED', time: new Date() });
      await first.close();
      first = undefined;
      second = await startStack(name);
      const left = (
        await second.db
          .collection('usageIngestBatches')
          .find({}, { projection: { _id: 1 } })
          .toArray()
      ).map((b) => String(b._id));
      expect(left.sort()).toEqual(waiting);
    } finally {
      await first?.close();
      await second?.close();
    }
  }, 60_000);
});
