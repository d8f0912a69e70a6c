// The capacity model (docs/capacity.md): from the bench's measured costs and stated assumptions, what
// 10^6, 10^7, 10^8 and 10^9 usages a day need. A pure function and a CLI that prints its table:
//   npx tsx scripts/capacity.ts [--peak-to-average=3 --utilisation=0.6 ...]   (every assumption by name)
//   DATA_DIR=.data/capacity npx tsx scripts/capacity.ts --measure   (seeds a database, prints the stored sizes)
import { pathToFileURL } from 'node:url';

/** What was measured. Each figure names where it comes from. */
export interface MeasuredCosts {
  /** DocumentDB bytes per stored usage (heap and TOAST): `collStats` storageSize / usages, --measure. */
  storedBytesPerUsage: number;
  /** All 18 indexes of productUsages, bytes per usage: `collStats` totalIndexSize / usages, --measure. */
  indexBytesPerUsage: number;
  /** BSON bytes per usage (what MongoDB's `size` counts, before WiredTiger compresses it), --measure. */
  bsonBytesPerUsage: number;
  /** One usage event on the Redis bus: canonical extended JSON of { eventId, eventTime, eventType, usage }, --measure. */
  eventBytes: number;
  /** One hubDeliveries document (BSON), the event inside it as text, --measure. */
  deliveryBytes: number;
  /** Usages/s one usage subgraph ingests: bench/RESULTS.md, "Ingestion throughput", `POST .../usagesJobs` row. */
  ingestUsagesPerSecondPerInstance: number;
  /** Usages/s one database node inserts: bench/RESULTS.md, "Ingestion throughput", raw `insertMany` row. */
  databaseInsertsPerSecondPerNode: number;
  /** Gateway CPU ms per read: bench/RESULTS.md, "Gateways", page of 20, median ours. */
  gatewayCpuMsPerRead: number;
  /** Subgraph CPU ms per read (the three together): the same row. */
  subgraphCpuMsPerRead: number;
  /** Gateway and subgraph CPU ms per small operation: "Gateways", usage by id, median ours (1.36 and 0.72). */
  gatewayCpuMsPerSmallOperation: number;
  subgraphCpuMsPerSmallOperation: number;
  /** What the facade adds per REST request: "REST over GraphQL", median REST 13.60 less median GraphQL 9.43 ms. */
  facadeCpuMsPerRequest: number;
  /** A graph round trip of the webhook worker (lease, complete): "Soak", graphql by id p50. */
  graphRoundTripMs: number;
  /** Events per created usage and per patch: "Soak", "Events" (one create event per stored usage, one per acknowledged patch). */
  eventsPerCreate: number;
  eventsPerUpdate: number;
  /** Counted in the code, not timed: a delivery is 1 insert, 2 leases, 1 read, 1 delete, 1 hub update (hubs/repository.ts). */
  databaseWritesPerDelivery: number;
  /** With a hub listening, a usage write carries its events and is updated twice more to clear them (hubs/outbox.ts). */
  outboxWritesPerUsageWrite: number;
  /** Deliveries one webhook worker holds at once (rest-adapter/hub-delivery.ts, leaseBatch). */
  deliveriesInFlightPerFacade: number;
}

/*
 * Sizes: `DATA_DIR=.data/capacity npx tsx scripts/capacity.ts --measure` on 2026-12-02, FerretDB 2.7 on
 * PostgreSQL 18 + DocumentDB (the default database), growth from 20,000 to 40,000 ingested usages
 * (ingestedUsageDocument: a consumer, a subscriber and a provider, four characteristics, the `ingest`
 * block), the product's 18 indexes in place. bench/seed.ts's API-shaped usage (REST and GraphQL
 * creates, with prices and three characteristics) measured 1,366 stored, 716 index, 1,222 BSON and 1,459
 * event bytes: within 20 % of these. The throughputs are bench/RESULTS.md's, from 2 cores that the
 * database, the services and the load generator shared: lower bounds for a machine of their own.
 */
export const measured: MeasuredCosts = {
  storedBytesPerUsage: 1_639,
  indexBytesPerUsage: 689,
  bsonBytesPerUsage: 1_468,
  eventBytes: 1_680,
  deliveryBytes: 1_992,
  ingestUsagesPerSecondPerInstance: 1_905,
  databaseInsertsPerSecondPerNode: 3_799,
  gatewayCpuMsPerRead: 3.05,
  subgraphCpuMsPerRead: 3.1,
  gatewayCpuMsPerSmallOperation: 1.36,
  subgraphCpuMsPerSmallOperation: 0.72,
  facadeCpuMsPerRequest: 4.17,
  graphRoundTripMs: 6,
  eventsPerCreate: 1,
  eventsPerUpdate: 1,
  databaseWritesPerDelivery: 5,
  outboxWritesPerUsageWrite: 2,
  deliveriesInFlightPerFacade: 50,
};

/** What is assumed. Each is a CLI option: --peak-to-average=4, --shard-tib=4, ... */
export interface Assumptions {
  /** Busiest hour's rate over the day's average. */
  peakToAverage: number;
  /** 13 months (13 x 30.44 days, rounded up). */
  retentionDays: number;
  /** Share of a process's core (or a database node) planned for the peak; the rest is headroom. */
  utilisation: number;
  /** Data and indexes one shard holds at most. */
  shardTib: number;
  /** Members of each shard's replica set. */
  replicas: number;
  /** Patches per usage after it is created (0: usages arrive rated through ingestion). */
  updatesPerUsage: number;
  /** Usages per ingestion request (a UTS job or an ingestProductUsages batch). */
  usagesPerIngestRequest: number;
  /** Read requests (pages of 20 with names) per 1,000 usage writes. */
  readsPerThousandWrites: number;
  /** Share of reads and ingestion requests that come through the REST facade. */
  restShare: number;
  /** Hubs each event is delivered to (0: no webhooks). */
  hubsPerEvent: number;
  /** How long a receiver takes to answer a delivery. */
  callbackMs: number;
  /** Fewest instances of each service (two, so one can restart while the other serves). */
  minInstances: number;
}

export const assumptions: Assumptions = {
  peakToAverage: 3,
  retentionDays: 396,
  utilisation: 0.6,
  shardTib: 2,
  replicas: 3,
  updatesPerUsage: 0,
  usagesPerIngestRequest: 1_000,
  readsPerThousandWrites: 10,
  restShare: 0.5,
  hubsPerEvent: 1,
  callbackMs: 50,
  minInstances: 2,
};

export interface CapacityRow {
  usagesPerDay: number;
  documents: number;
  storedBytes: number;
  indexBytes: number;
  bsonBytes: number;
  averageWritesPerSecond: number;
  peakWritesPerSecond: number;
  peakReadsPerSecond: number;
  databaseWritesPerSecond: number;
  shardsForStorage: number;
  shardsForWrites: number;
  shards: number;
  databaseNodes: number;
  indexBytesPerShard: number;
  /** HTTP requests the gateways answer: reads, patches, ingestion requests, the webhook worker's calls. */
  gatewayRequestsPerSecond: number;
  usageInstances: number;
  gatewayInstances: number;
  facadeInstances: number;
  eventsPerSecond: number;
  redisMessagesOutPerSecond: number;
  redisBytesOutPerSecond: number;
  deliveriesPerSecond: number;
  deliveriesPerHubCeiling: number;
  /** Hubs the deliveries must be spread over (by their filters) for none to fall behind. */
  hubsToKeepUp: number;
  deliveryBacklogBytesPerHour: number;
}

const tib = 2 ** 40;
const day = 86_400;

/** Instances for `busy` cores of work at the planned utilisation, never fewer than the minimum. */
const instancesFor = (busy: number, a: Assumptions) => Math.max(a.minInstances, Math.ceil(busy / a.utilisation));

/** The capacity one volume needs. */
export function capacityFor(usagesPerDay: number, m: MeasuredCosts = measured, a: Assumptions = assumptions): CapacityRow {
  const documents = usagesPerDay * a.retentionDays;
  const storedBytes = documents * m.storedBytesPerUsage;
  const indexBytes = documents * m.indexBytesPerUsage;
  const creates = (usagesPerDay / day) * a.peakToAverage;
  const updates = creates * a.updatesPerUsage;
  const peakWritesPerSecond = creates + updates;
  const peakReadsPerSecond = (peakWritesPerSecond * a.readsPerThousandWrites) / 1_000;
  const eventsPerSecond = creates * m.eventsPerCreate + updates * m.eventsPerUpdate;
  const deliveriesPerSecond = eventsPerSecond * a.hubsPerEvent;
  const outbox = a.hubsPerEvent > 0 ? m.outboxWritesPerUsageWrite : 0;
  const databaseWritesPerSecond = peakWritesPerSecond * (1 + outbox) + deliveriesPerSecond * m.databaseWritesPerDelivery;
  const shardsForStorage = Math.ceil((storedBytes + indexBytes) / (a.shardTib * tib));
  const shardsForWrites = Math.ceil(databaseWritesPerSecond / (m.databaseInsertsPerSecondPerNode * a.utilisation));
  const shards = Math.max(1, shardsForStorage, shardsForWrites);
  // A delivery's lease and completion are two small operations through the gateway and the usage subgraph.
  const ingestRequests = creates / a.usagesPerIngestRequest;
  const workerOperations = 2 * deliveriesPerSecond;
  const usageCores =
    creates / m.ingestUsagesPerSecondPerInstance +
    ((peakReadsPerSecond + updates) * m.subgraphCpuMsPerRead + workerOperations * m.subgraphCpuMsPerSmallOperation) / 1_000;
  const gatewayCores = ((peakReadsPerSecond + updates + ingestRequests) * m.gatewayCpuMsPerRead + workerOperations * m.gatewayCpuMsPerSmallOperation) / 1_000;
  const facadeCores = ((peakReadsPerSecond + ingestRequests) * a.restShare * m.facadeCpuMsPerRequest) / 1_000;
  // One delivery at a time per hub: the callback, then the completion and the next lease through the graph.
  const deliveriesPerHubCeiling = 1_000 / (a.callbackMs + 2 * m.graphRoundTripMs);
  const facadeForDeliveries = deliveriesPerSecond / (m.deliveriesInFlightPerFacade * deliveriesPerHubCeiling);
  const usageInstances = instancesFor(usageCores, a);
  return {
    usagesPerDay,
    documents,
    storedBytes,
    indexBytes,
    bsonBytes: documents * m.bsonBytesPerUsage,
    averageWritesPerSecond: peakWritesPerSecond / a.peakToAverage,
    peakWritesPerSecond,
    peakReadsPerSecond,
    databaseWritesPerSecond,
    shardsForStorage,
    shardsForWrites,
    shards,
    databaseNodes: shards * a.replicas + (shards > 1 ? 3 : 0),
    indexBytesPerShard: indexBytes / shards,
    gatewayRequestsPerSecond: peakReadsPerSecond + updates + ingestRequests + workerOperations,
    usageInstances,
    gatewayInstances: instancesFor(gatewayCores, a),
    facadeInstances: Math.max(instancesFor(facadeCores, a), Math.ceil(facadeForDeliveries)),
    eventsPerSecond,
    // Every usage-subgraph instance holding a subscription receives every event of the deployment.
    redisMessagesOutPerSecond: eventsPerSecond * usageInstances,
    redisBytesOutPerSecond: eventsPerSecond * usageInstances * m.eventBytes,
    deliveriesPerSecond,
    deliveriesPerHubCeiling,
    hubsToKeepUp: Math.ceil(deliveriesPerSecond / deliveriesPerHubCeiling),
    deliveryBacklogBytesPerHour: deliveriesPerSecond * 3_600 * m.deliveryBytes,
  };
}

export const volumes = [1e6, 1e7, 1e8, 1e9] as const;

const count = (n: number) => (Number.isInteger(n) || n >= 10 ? Math.round(n).toLocaleString('en') : n.toFixed(1));
const bytes = (n: number) => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  const i = Math.max(0, Math.min(units.length - 1, Math.floor(Math.log2(Math.max(n, 1)) / 10)));
  const value = n / 1024 ** i;
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[i]}`;
};
const power = (n: number) => `10^${Math.round(Math.log10(n))}`;

/** The table of docs/capacity.md: one line per figure, one column per volume, and where it comes from. */
export function capacityTable(m: MeasuredCosts = measured, a: Assumptions = assumptions): string {
  const rows = volumes.map((v) => capacityFor(v, m, a));
  const lines: [string, (r: CapacityRow) => string, string][] = [
    ['usages stored', (r) => count(r.documents), `${a.retentionDays} days of retention (13 months)`],
    ['data (DocumentDB)', (r) => bytes(r.storedBytes), `${m.storedBytesPerUsage} B per usage, measured`],
    ['indexes (DocumentDB, 18)', (r) => bytes(r.indexBytes), `${m.indexBytesPerUsage} B per usage, measured`],
    ['BSON (MongoDB `size`, uncompressed)', (r) => bytes(r.bsonBytes), `${m.bsonBytesPerUsage} B per usage, measured`],
    ['usage writes/s, average', (r) => count(r.averageWritesPerSecond), `usages a day / 86,400 x (1 + ${a.updatesPerUsage} patches per usage)`],
    ['usage writes/s, peak', (r) => count(r.peakWritesPerSecond), `peak-to-average ${a.peakToAverage}`],
    ['reads/s, peak', (r) => count(r.peakReadsPerSecond), `${a.readsPerThousandWrites} pages per 1,000 writes`],
    [
      'database document writes/s, peak',
      (r) => count(r.databaseWritesPerSecond),
      `+${m.outboxWritesPerUsageWrite} outbox writes per usage, ${m.databaseWritesPerDelivery} per delivery`,
    ],
    ['shards for storage', (r) => count(r.shardsForStorage), `${a.shardTib} TiB of data and indexes per shard`],
    ['shards for writes', (r) => count(r.shardsForWrites), `${count(m.databaseInsertsPerSecondPerNode)} inserts/s per node at ${a.utilisation}`],
    ['shards', (r) => count(r.shards), 'the larger of the two'],
    ['database nodes', (r) => count(r.databaseNodes), `${a.replicas} per shard, 3 config servers when sharded`],
    ['indexes per shard', (r) => bytes(r.indexBytesPerShard), 'RAM to keep them cached'],
    [
      'usage subgraph instances',
      (r) => count(r.usageInstances),
      `${count(m.ingestUsagesPerSecondPerInstance)} usages/s each; reads ${m.subgraphCpuMsPerRead} ms`,
    ],
    ['gateway instances', (r) => count(r.gatewayInstances), `${m.gatewayCpuMsPerRead} ms per request, ${m.gatewayCpuMsPerSmallOperation} ms per worker call`],
    ['REST facade instances', (r) => count(r.facadeInstances), `${m.facadeCpuMsPerRequest} ms per REST request, ${a.restShare * 100} % of requests`],
    ['events/s, peak', (r) => count(r.eventsPerSecond), `${m.eventsPerCreate} per create, ${m.eventsPerUpdate} per patch`],
    ['Redis messages in/s', (r) => count(r.eventsPerSecond), 'one PUBLISH per event'],
    ['Redis messages out/s', (r) => count(r.redisMessagesOutPerSecond), 'each to every usage instance'],
    ['Redis rate-limit scripts/s', (r) => count(r.gatewayRequestsPerSecond), 'one per gateway request (shared rate limit)'],
    ['Redis bytes out/s', (r) => `${bytes(r.redisBytesOutPerSecond)}/s`, `${m.eventBytes} B per event, measured`],
    ['webhook deliveries/s, peak', (r) => count(r.deliveriesPerSecond), `${a.hubsPerEvent} hub(s) per event`],
    ['deliveries/s one hub can take', (r) => r.deliveriesPerHubCeiling.toFixed(1), `${a.callbackMs} ms callback + 2 x ${m.graphRoundTripMs} ms`],
    ['hubs to spread them over', (r) => count(r.hubsToKeepUp), 'deliveries / what one hub can take'],
    ['delivery backlog per hour of outage', (r) => bytes(r.deliveryBacklogBytesPerHour), `${m.deliveryBytes} B per delivery, measured`],
  ];
  const header = `| figure | ${rows.map((r) => power(r.usagesPerDay)).join(' | ')} | from |\n| --- |${rows.map(() => ' ---: |').join('')} --- |`;
  return [header, ...lines.map(([name, cell, from]) => `| ${name} | ${rows.map(cell).join(' | ')} | ${from} |`)].join('\n');
}

/** `--peak-to-average=4` and the like over the defaults; an unknown name or a bad number is an error. */
export function parseAssumptions(args: readonly string[], defaults: Assumptions = assumptions): Assumptions {
  const result = { ...defaults };
  for (const arg of args) {
    const match = /^--([a-z-]+)=(.+)$/.exec(arg);
    const key = match?.[1]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Assumptions | undefined;
    const value = Number(match?.[2]);
    if (!key || !(key in defaults) || !Number.isFinite(value) || value < 0) {
      const names = Object.keys(defaults).map((name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      throw new Error(`${arg}: expected --name=number, a number of 0 or more, with --name one of ${names.join(', ')} (or --measure)`);
    }
    result[key] = value;
  }
  return result;
}

/**
 * The sizes of `measured`: `usages` of each shape inserted in batches of 1,000 into productUsages with
 * the product's indexes built first (ProductUsageRepository.open), as in service; sizes read with
 * `collStats` once half are in and again at the end, so the per-usage figures are the growth between
 * the two (the fixed size of an almost empty index left out). Loaded only here: the model stays pure.
 */
async function measureSizes(usages = 20_000): Promise<Record<string, Record<string, number>>> {
  const { BSON } = await import('mongodb');
  const { startDatabase } = await import('../platform/local-database.js');
  const { connectMongo } = await import('../platform/mongo.js');
  const { generator, party, specification, usage } = await import('../bench/seed.js');
  const { contentHash, idempotencyKey, ingestedUsageDocument, normalize } = await import('../subgraphs/usage/ingestion/usages.js');
  const { ingestionSpecificationId } = await import('../subgraphs/specification/ingestion-repository.js');
  const { ProductUsageRepository } = await import('../subgraphs/usage/product-usage/repository.js');
  const { loadConfig } = await import('../platform/config.js');
  const config = loadConfig();
  const database = await startDatabase({ mongodbUri: config.mongodbUri, dataDir: config.dataDir, log: console.error });
  const client = await connectMongo(database.uri);
  const now = Date.now();
  const random = generator(635);
  const specs = Array.from({ length: 50 }, (_, i) => specification(i, now));
  const parties = Array.from({ length: 1_000 }, (_, i) => party(i, now, random));
  const tenant = 'capacity';
  const shapes: Record<string, (i: number) => Record<string, unknown>> = {
    api: (i: number) => ({ ...usage(i, 2 * usages, now, specs, parties, random), tenant }),
    ingested: (i: number) => {
      const datetime = new Date(now - (2 * usages - i) * 60_000);
      const [tenantId, userId, resource, value] = [
        `customer-${random.int(500)}`,
        `subscriber-${random.int(100_000)}`,
        `cell-${random.int(5_000)}`,
        1 + random.int(1e6),
      ];
      const n = normalize({ tenantId, userId, application: 'mobile-data', resource, value, unit: 'MB', datetime, provider: 'network' }, 'default');
      const ids = {
        tenant,
        key: idempotencyKey(n),
        hash: contentHash(n),
        specificationId: ingestionSpecificationId(tenant, 'mobile-data', 'MB'),
        jobId: 'job',
      };
      return { ...ingestedUsageDocument(n, ids, 'VERIFIED', new Date(datetime.getTime() + 60_000)) };
    },
  };
  const results: Record<string, Record<string, number>> = {};
  try {
    for (const [shape, make] of Object.entries(shapes)) {
      const db = client.db(`usage_graph_capacity_${shape}`);
      await db.dropDatabase();
      await ProductUsageRepository.open(db);
      const sizes: { stored: number; indexes: number }[] = [];
      let bson = 0;
      let event = 0;
      let delivery = 0;
      for (let start = 0; start < 2 * usages; start += 1_000) {
        const batch = Array.from({ length: 1_000 }, (_, k) => make(start + k));
        for (const doc of batch) {
          bson += BSON.calculateObjectSize(doc);
          const text = BSON.EJSON.stringify(
            { eventId: crypto.randomUUID(), eventTime: new Date(), eventType: 'ProductUsageCreateEvent', usage: doc },
            { relaxed: false },
          );
          event += text.length;
          // A delivery as hubs/outbox.ts builds it.
          const at = new Date();
          delivery += BSON.calculateObjectSize({
            _id: `${crypto.randomUUID()}:${crypto.randomUUID()}`,
            ...{ hubId: crypto.randomUUID(), subjectId: doc._id, seq: now * 1_000, event: text, attempt: 0, nextAttemptAt: at, queuedAt: at },
            ...{ leaseOwner: null, leaseUntil: null, tenant },
          });
        }
        await db.collection('productUsages').insertMany(batch, { ordered: false });
        if ((start + 1_000) % usages === 0) {
          const stats = await db.command({ collStats: 'productUsages' });
          sizes.push({ stored: stats.storageSize as number, indexes: stats.totalIndexSize as number });
        }
      }
      const [half, all] = sizes as [(typeof sizes)[0], (typeof sizes)[0]];
      results[shape] = {
        usages: await db.collection('productUsages').countDocuments(),
        storedBytesPerUsage: Math.round((all.stored - half.stored) / usages),
        indexBytesPerUsage: Math.round((all.indexes - half.indexes) / usages),
        bsonBytesPerUsage: Math.round(bson / (2 * usages)),
        eventBytes: Math.round(event / (2 * usages)),
        deliveryBytes: Math.round(delivery / (2 * usages)),
      };
      await db.dropDatabase();
    }
  } finally {
    await client.close();
    await database.stop();
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  try {
    console.log(args.includes('--measure') ? JSON.stringify(await measureSizes(), null, 2) : capacityTable(measured, parseAssumptions(args)));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  }
}
