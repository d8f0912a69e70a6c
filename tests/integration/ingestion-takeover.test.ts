import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as poll } from 'node:timers/promises';
import { print } from 'graphql';
import type { Collection, Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { allScopes } from '../../platform/caller.js';
import { signCaller } from '../../platform/internal-signature.js';
import { connectMongo } from '../../platform/mongo.js';
import { CreateIngestJobDocument, type UsageIngestInput } from '../operations/generated.js';
import { Service } from '../support/processes.js';
import { rollupsAndRecount, rollupsSettled } from '../support/rollups.js';

// Keep running through faults (issue 14): an ingestion job whose runner falls silent is taken over by
// another runner, that one is killed with SIGKILL mid-way, and a third run resumes it. Every runner
// is its own usage-subgraph process (tests/support/processes.ts) over one database, so SIGSTOP and
// SIGKILL reach it. The job must finish with every usage stored once, leave no batch behind, and
// leave rollups equal to a recount of its usages.
const tenant = 'takeover-tenant';
const count = 2000;
let dataDir: string;
let client: MongoClient;
interface StoredJob {
  _id: string;
  status: string;
  runner?: string | null;
  processedCount: number;
  usagesSummary: unknown[];
}
let jobs: Collection<StoredJob>;
let batches: Collection<{ _id: string }>;
let usages: Collection<{ _id: string; ingest: { jobId: string | null } }>;
let database: Db;
let env: Record<string, string>;
/** The first runner: the whole batch in one chunk, so its only write after the claim is the job's finish. */
let slow: Service;
/** The runner that takes over: small chunks, so it is still mid-way when it is killed. */
let taker: Service;

beforeAll(async () => {
  dataDir = mkdtempSync(path.resolve(process.env.DATA_DIR ?? '.data', 'ingestion-takeover-'));
  const name = `${inject('databasePrefix')}ingestion_takeover`;
  client = await connectMongo(inject('mongodbUri'));
  const db = client.db(name);
  database = db;
  jobs = db.collection('usageIngestJobs');
  batches = db.collection('usageIngestBatches');
  usages = db.collection('productUsages');
  env = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    MONGODB_URI: inject('mongodbUri'),
    MONGODB_DB: name,
    DATA_DIR: dataDir,
    AUTH_HS256_SECRET: randomBytes(32).toString('base64url'),
    INTERNAL_AUTH_SECRET: randomBytes(32).toString('base64url'),
    // A runner silent for a second is taken over; each runner looks for such jobs every second.
    INGEST_JOB_STALE_MS: '1000',
  };
  slow = new Service('usage', { ...env, INGEST_JOB_CHUNK_SIZE: String(count) });
  taker = new Service('usage', { ...env, INGEST_JOB_CHUNK_SIZE: '5' });
  // Both at once on the fresh database: a start-up that loses a deadlock while creating the indexes
  // tries again (subgraphs/shared/repository.ts; tests/integration/concurrent-start.test.ts).
  await Promise.all([slow.start(), taker.start()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([slow?.stop(), taker?.stop()]);
  await client?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Reads the job until `test` holds (a background worker's state, seen from the database). */
async function jobWhen(id: string, test: (job: StoredJob) => boolean, what: string, attempts = 3000): Promise<StoredJob> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const job = await jobs.findOne({ _id: id });
    if (job && test(job)) return job;
    await poll(10);
  }
  throw new Error(`${what}: the job is ${JSON.stringify(await jobs.findOne({ _id: id }, { projection: { usagesSummary: 0 } }))}`);
}

async function until(test: () => Promise<boolean>, what: string, attempts = 500): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await test()) return;
    await poll(10);
  }
  throw new Error(what);
}

describe('an ingestion job taken over from a silent runner, whose new runner is then killed', () => {
  it('is resumed by a third run, finishes with every usage stored once, and leaves no batch', async () => {
    const now = Date.now();
    const batch: UsageIngestInput[] = Array.from({ length: count }, (_, i) => ({
      tenantId: tenant,
      application: 'takeover-app',
      resource: `res-${i}`,
      unit: 'count',
      value: i,
      datetime: new Date(now - 86_400_000 + i * 1000).toISOString(),
    }));
    // Sent to the first runner's subgraph as the gateway sends it, so that runner starts the job.
    const response = await fetch(slow.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signCaller(env.INTERNAL_AUTH_SECRET!, { tenant, subject: 'takeover', scopes: allScopes }) },
      body: JSON.stringify({ query: print(CreateIngestJobDocument), variables: { usages: batch } }),
    });
    const body = (await response.json()) as { data?: { createUsageIngestJob: { id: string } }; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    const id = body.data!.createUsageIngestJob.id;

    // Paused while its one chunk runs: it falls silent and the other runner takes the job over.
    const claimed = await jobWhen(id, (job) => job.status === 'INPROGRESS' && Boolean(job.runner), 'the first runner never claimed it');
    slow.signal('SIGSTOP');
    await jobWhen(id, (job) => job.runner !== claimed.runner && job.processedCount >= 10, 'the job was not taken over');
    // The first runner wakes up, ends its chunk and tries to finish the job it no longer holds;
    // the one holding it is killed mid-way.
    slow.signal('SIGCONT');
    expect(await taker.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    const killed = await jobs.findOne({ _id: id });
    expect(killed).toMatchObject({ status: 'INPROGRESS' });
    expect(killed!.processedCount).toBeLessThan(count);

    // The first runner, alive again, takes the killed runner's job once it is stale, from its batch.
    const done = await jobWhen(id, (job) => job.status === 'COMPLETED' || job.status === 'ERRORS', 'the job never finished after the kill');
    expect(done).toMatchObject({
      status: 'COMPLETED',
      processedCount: count,
      runner: null,
      usagesSummary: [{ application: 'takeover-app', unit: 'count', processStatus: 'NOVERIFICATION', usagesCount: count }],
    });
    expect(await usages.countDocuments({ 'ingest.jobId': id })).toBe(count);
    // The runner that finished removes the batch right after the finish it was seen by.
    await until(async () => (await batches.countDocuments({ _id: id })) === 0, 'the batch of the finished job was never removed');
    expect(slow.output()).toContain(`ingestion job ${id} was taken over by another runner while this one was silent; left to it`);
    // The rollups (hourly counts, KPI days, meter values) of a job whose runner was killed mid-way are those of a recount.
    await rollupsSettled(database);
    const { stored, recount } = await rollupsAndRecount(database, tenant);
    expect(recount.hours.reduce((n, [, c]) => n + c, 0)).toBe(count);
    // The meter rollups too: the usages counted, and the numeric characteristics folded.
    expect(recount.meters.filter(([key]) => key.endsWith(',null]')).reduce((n, [, m]) => n + m.count, 0)).toBe(count);
    expect(recount.meters.some(([key]) => !key.endsWith(',null]'))).toBe(true);
    expect(stored).toEqual(recount);
  }, 120_000);
});
