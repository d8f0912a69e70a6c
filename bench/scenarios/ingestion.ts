import type { Db } from 'mongodb';
import { createLogger } from '../../platform/logger.js';
import type { ProductUsageDocument } from '../../subgraphs/usage/product-usage/documents.js';
import { defaultRollupTiming } from '../../subgraphs/usage/rollups/maintainer.js';
import { openRollups } from '../../subgraphs/usage/rollups/repair.js';
import { ingestionSpecificationId } from '../../subgraphs/specification/ingestion-repository.js';
import { contentHash, idempotencyKey, ingestedUsageDocument, normalize } from '../../subgraphs/usage/ingestion/usages.js';
import { benchCaller } from '../auth.js';
import type { Scenario } from '../scenario.js';
import { fixed, median, table } from '../stats.js';
import { startSystemProcess, type SystemProcess } from '../system-process.js';

/**
 * Ingestion throughput: usages per second stored through `POST /api/usagetransparency/v3/usagesJobs`
 * (200 per request, timed until every job has finished) and through the `ingestProductUsages`
 * mutation (200 per request), each against raw `insertMany` of the same documents (batches of 200)
 * into the same database, in the same round. The three run in turn, A B C per round, on fresh usages
 * each time (idempotency would otherwise acknowledge them without storing). Target: at least 0.5 of raw.
 */
const batch = 200;
const batchesPerRun = 25;
const inFlight = 4;
const rawCollection = 'benchRawUsages';

interface UtsUsage {
  tenantId: string;
  application: string;
  resource: string;
  value: number;
  unit: string;
  datetime: string;
}

let runSerial = 0;
/** Fresh usages: a tenant per run, a resource per usage, dates within the last day. */
export function freshUsages(): UtsUsage[][] {
  runSerial += 1;
  const tenantId = `bench-${Date.now().toString(36)}-${runSerial}`;
  const now = Date.now();
  return Array.from({ length: batchesPerRun }, (_, b) =>
    Array.from({ length: batch }, (_, i) => ({
      tenantId,
      application: 'bench-app',
      resource: `r-${b}-${i}`,
      value: (b * batch + i) % 97,
      unit: 'kwh',
      datetime: new Date(now - 3_600_000 - (b * batch + i) * 1000).toISOString(),
    })),
  );
}

async function pool<T>(items: readonly T[], send: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < items.length) await send(items[next++]!);
    }),
  );
}

/** The run's credential (bench/auth.ts), sent with every request. */
let authorization = '';

/** For another scenario that reuses these paths (volume.ts). */
export function setIngestionAuthorization(value: string): void {
  authorization = value;
}

async function post(url: string, body: unknown): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

const mutation = `mutation BenchIngest($usages: [UsageIngestInput!]!) { ingestProductUsages(usages: $usages) { storedCount rejectedCount } }`;

/** usages/s through the UTS jobs: from the first POST until the last job has finished. */
export async function viaJobs(system: Pick<SystemProcess, 'restUrl'>, batches: UtsUsage[][]): Promise<number> {
  const base = `${system.restUrl}/api/usagetransparency/v3`;
  const ids: string[] = [];
  const start = performance.now();
  await pool(batches, async (usages) => {
    const job = await post(`${base}/usagesJobs`, {
      users: [
        {
          tenantId: usages[0]!.tenantId,
          resources: usages.map(({ application, resource, value, unit, datetime }) => ({ application, resource, usages: [{ value, unit, datetime }] })),
        },
      ],
    });
    ids.push(job.id);
  });
  for (const id of ids) {
    for (;;) {
      const response = await fetch(`${base}/usagesJobs/${id}`, { headers: { authorization } });
      const job = (await response.json()) as { status: string; usagesSummary: { processStatus: string; usagesCount: number }[] };
      if (job.status === 'ERRORS') throw new Error(`bench job ${id} had errors: ${JSON.stringify(job.usagesSummary)}`);
      if (job.status === 'COMPLETED') break;
      // As a client would poll: often enough to see the end, not so often that polling competes with the writes.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return (batches.length * batch) / ((performance.now() - start) / 1000);
}

async function viaMutation(system: SystemProcess, batches: UtsUsage[][]): Promise<number> {
  const start = performance.now();
  await pool(batches, async (usages) => {
    const body = await post(system.gatewayUrl, { query: mutation, variables: { usages } });
    if (body.errors || body.data.ingestProductUsages.storedCount !== usages.length) throw new Error(`mutation: ${JSON.stringify(body).slice(0, 300)}`);
  });
  return (batches.length * batch) / ((performance.now() - start) / 1000);
}

/** The documents ingestion stores for these usages, batch by batch. */
function documentsOf(batches: UtsUsage[][], tenant: string): ProductUsageDocument[][] {
  const now = new Date();
  return batches.map((usages) =>
    usages.map((u) => {
      const n = normalize({ ...u, datetime: new Date(u.datetime) }, 'default');
      const key = idempotencyKey(n);
      return ingestedUsageDocument(
        n,
        { tenant, key, hash: contentHash(n), specificationId: ingestionSpecificationId(tenant, n.application, n.unit), jobId: null },
        'NOVERIFICATION',
        now,
      );
    }),
  );
}

/** The documents ingestion stores for these usages, inserted raw with the same batching and concurrency. */
export async function viaInsertMany(db: Db, batches: UtsUsage[][], tenant = benchCaller.tenant): Promise<number> {
  const docs = documentsOf(batches, tenant);
  const collection = db.collection(rawCollection);
  // The same indexes as the usages collection ingestion writes to: the baseline pays for them too.
  const indexes = (await db.collection('productUsages').listIndexes().toArray()).filter((index) => index.name !== '_id_');
  if (
    !(
      await collection
        .listIndexes()
        .toArray()
        .catch(() => [])
    ).length
  )
    await collection.createIndexes(indexes.map(({ key }) => ({ key })));
  const start = performance.now();
  await pool(docs, async (chunk) => void (await collection.insertMany(chunk as never[], { ordered: false })));
  return (batches.length * batch) / ((performance.now() - start) / 1000);
}

/**
 * What the rollups cost ingestion (issue 17: ingestion with rollups at least 0.8x ingestion
 * without them), in usages/s on `db`'s own usages: the documents ingestion stores, inserted as it
 * inserts them (insertMany, unordered, the same batches and concurrency), without rollups, and with
 * them: inside RollupMaintainer.around (the two marks of every write), then until every bucket they
 * marked has been recomputed (by this maintainer's drain or a running subgraph's), which production
 * does in the background. Each round's usages are removed after it (untimed), so every round
 * starts from the same data. Only the storage path, the part rollups add to: the rest of ingestion
 * (HTTP, GraphQL, rules, events, jobs) is the same either way, so the whole path's ratio is higher.
 */
export async function rollupCost(db: Db, tenant: string, batches: () => UtsUsage[][], rounds: number): Promise<{ without: number[]; with: number[] }> {
  // Marks taken at once: a bench measures the work, not the settle time that lets a write land first.
  const { marks, maintainer } = await openRollups(db, { ...defaultRollupTiming, settleMs: 0 }, createLogger('warn'));
  const collection = db.collection<ProductUsageDocument>('productUsages');
  const insert = (docs: ProductUsageDocument[]) => collection.insertMany(docs, { ordered: false });
  const settled = async () => {
    for (;;) {
      await maintainer.drain();
      const left = [...(await marks.ofTenant(tenant, 'hour', 0, 'bench')), ...(await marks.ofTenant(tenant, 'kpiDay', 0, 'bench'))];
      if (!left.length) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const rate = async (write: (docs: ProductUsageDocument[]) => Promise<unknown>, after = async () => {}) => {
    const docs = documentsOf(batches(), tenant);
    const start = performance.now();
    await pool(docs, async (chunk) => void (await write(chunk)));
    await after();
    const seconds = (performance.now() - start) / 1000;
    // Removed again, not timed, with their rollups brought back: each round starts where the first did.
    const all = docs.flat();
    await maintainer.around(tenant, all, () => collection.deleteMany({ _id: { $in: all.map((doc) => doc._id) } }));
    await settled();
    return all.length / seconds;
  };
  // Alternating, so drift on the machine touches both alike.
  const rates = { without: [] as number[], with: [] as number[] };
  // One round of each unmeasured: the first pays for connections, JIT and marks other writes left.
  await rate(insert);
  await rate((docs) => maintainer.around(tenant, docs, () => insert(docs)), settled);
  for (let round = 0; round < rounds; round++) {
    rates.without.push(await rate(insert));
    rates.with.push(await rate((docs) => maintainer.around(tenant, docs, () => insert(docs)), settled));
  }
  return rates;
}

export const ingestion: Scenario = {
  name: 'ingestion',
  async run({ config, mongodbUri, db, auth, log }) {
    authorization = auth.authorization;
    const system = await startSystemProcess({ mongodbUri, database: config.database, dataDir: config.dataDir });
    const rates = { raw: [] as number[], jobs: [] as number[], mutation: [] as number[] };
    try {
      await db
        .collection(rawCollection)
        .drop()
        .catch(() => undefined);
      // One warm-up batch per path, not measured: first requests pay for connections and JIT.
      await viaMutation(system, freshUsages().slice(0, 1));
      await viaJobs(system, freshUsages().slice(0, 1));
      for (let round = 0; round < config.rounds; round++) {
        rates.raw.push(await viaInsertMany(db, freshUsages()));
        rates.jobs.push(await viaJobs(system, freshUsages()));
        rates.mutation.push(await viaMutation(system, freshUsages()));
        log(
          `ingestion round ${round + 1}/${config.rounds}: raw ${fixed(rates.raw.at(-1), 0)}, usagesJobs ${fixed(rates.jobs.at(-1), 0)}, mutation ${fixed(rates.mutation.at(-1), 0)} usages/s`,
        );
      }
    } finally {
      await system.stop();
      await db
        .collection(rawCollection)
        .drop()
        .catch(() => undefined);
    }
    const ratio = (path: number[]) => median(path.map((rate, round) => rate / rates.raw[round]!));
    const rows = [
      ['raw `insertMany` (baseline)', fixed(median(rates.raw), 0), '1.00', '—'],
      [
        '`POST /api/usagetransparency/v3/usagesJobs`, until every job finished',
        fixed(median(rates.jobs), 0),
        fixed(ratio(rates.jobs), 2),
        ratio(rates.jobs) >= 0.5 ? 'met' : 'missed',
      ],
      ['GraphQL `ingestProductUsages`', fixed(median(rates.mutation), 0), fixed(ratio(rates.mutation), 2), ratio(rates.mutation) >= 0.5 ? 'met' : 'missed'],
    ];
    return {
      title: 'Ingestion throughput',
      markdown: [
        `${batchesPerRun} requests of ${batch} usages per path and round (${batchesPerRun * batch} usages), ${inFlight} in flight, ${config.rounds} rounds, medians; ` +
          'every usage is new (a resend would be acknowledged, not stored). The baseline inserts the very documents ingestion stores, ' +
          'with the same batches and concurrency, into the same database and a collection with the same indexes.',
        '',
        table(['path', 'usages/s', 'ratio to raw', 'target ≥ 0.5'], rows),
        '',
        'Ingestion does more than the insert: per batch one rules query, one unordered insert whose duplicate-key refusals sort resends from ' +
          'conflicts, one create event per stored usage (hub outbox and subscribers); a job also stores its batch first and records progress.',
      ].join('\n'),
      summary: [
        `usagesJobs ${fixed(median(rates.jobs), 0)} usages/s (${fixed(ratio(rates.jobs), 2)} of raw), mutation ${fixed(median(rates.mutation), 0)} usages/s (${fixed(ratio(rates.mutation), 2)} of raw), raw ${fixed(median(rates.raw), 0)}`,
      ],
    };
  },
};
