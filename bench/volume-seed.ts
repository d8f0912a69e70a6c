import type { Db, Document } from 'mongodb';
import { PartyRepository } from '../subgraphs/party/repository.js';
import { ingestionSpecification, ingestionSpecificationId } from '../subgraphs/specification/ingestion-repository.js';
import { SpecificationRepository } from '../subgraphs/specification/repository.js';
import { contentHash, idempotencyKey, ingestedUsageDocument, normalize } from '../subgraphs/usage/ingestion/usages.js';
import { ProductUsageRepository } from '../subgraphs/usage/product-usage/repository.js';
import { benchCaller } from './auth.js';
import { generator, party, specification, usage } from './seed.js';

/**
 * The volume scenario's data set (issue 13): `usages` usages split evenly over two tenants (the bench
 * caller's and another, whose documents the caller never sees but the database still stores and
 * indexes), 90 days of usageDate, each tenant with its own `parties` parties and `specifications`
 * specifications. One usage in five is an ingested usage, built by the ingestion code itself
 * (`ingestedUsageDocument`: the `ingest` block with its day and month keys) for one application and
 * unit, whose consumers and providers are organisations among the tenant's parties, so that every
 * usage of a page has names to resolve. The other usages are bench/seed.ts's.
 *
 * Seeding is not what is measured: raw `insertMany` in batches of 5,000, two in flight, and the
 * product's indexes built afterwards by opening its repositories (what the subgraphs do at start-up;
 * on a filled collection one build per index is faster than maintaining them through every insert).
 * A marker document (`benchSeed`, `_id: 'volume'`) records the shape; a database whose marker matches
 * is kept between runs.
 */
export const volumeSeedVersion = 1;
export const volumeTenants = [benchCaller.tenant, 'volume-other'] as const;
export const volumeIngest = { application: 'volume-meter', unit: 'kwh', kpiName: 'energy', providers: 3, consumers: 50, share: 0.2 };
export const volumeDays = 90;

export interface VolumeSize {
  usages: number;
  parties: number;
  specifications: number;
}

export interface VolumeSeedReport {
  reused: boolean;
  /** Seconds spent inserting, and building the product's indexes (0 when reused). */
  insertSeconds: number;
  indexSeconds: number;
  /** When the seed was made (the marker's date): usage dates end there. */
  seededAt: Date;
}

const batchSize = 5_000;
const inFlight = 2;
const day = 86_400_000;

interface Marker {
  _id: string;
  version: number;
  usages: number;
  parties: number;
  specifications: number;
  tenants: readonly string[];
  seededAt: Date;
  insertSeconds: number;
  indexSeconds: number;
}

async function insertAll(db: Db, name: string, docs: AsyncIterable<Document[]> | Iterable<Document[]>): Promise<void> {
  const pending = new Set<Promise<void>>();
  for await (const batch of docs) {
    const insert = db
      .collection(name)
      .insertMany(batch, { ordered: false })
      .then(() => void pending.delete(insert));
    pending.add(insert);
    if (pending.size >= inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
}

function* batches<T>(count: number, make: (i: number) => T): Iterable<T[]> {
  for (let start = 0; start < count; start += batchSize) yield Array.from({ length: Math.min(batchSize, count - start) }, (_, k) => make(start + k));
}

/** The tenant's documents; `now` is the seed's instant. */
function tenantData(tenant: string, t: number, size: VolumeSize, now: number) {
  const random = generator(635 + t);
  const specs: Document[] = Array.from({ length: size.specifications }, (_, i) => ({ ...specification(i, now), tenant }));
  const parties: Document[] = Array.from({ length: size.parties }, (_, i) => ({ ...party(i, now, random), tenant }));
  const organisations = parties.filter((p) => p.kind === 'Organization');
  const consumers = organisations.slice(0, volumeIngest.consumers).map((p) => p._id as string);
  const providers = organisations.slice(volumeIngest.consumers, volumeIngest.consumers + volumeIngest.providers).map((p) => p._id as string);
  const count = Math.floor(size.usages / volumeTenants.length) + (t < size.usages % volumeTenants.length ? 1 : 0);
  const step = (volumeDays * day) / count;
  const ingestSpec = { ...ingestionSpecification(tenant, volumeIngest.application, volumeIngest.unit, new Date(now - 400 * day)), tenant };
  const specificationId = ingestionSpecificationId(tenant, volumeIngest.application, volumeIngest.unit);
  const make = (i: number): Document => {
    // One in five (every fifth) is an ingested usage: the sender's fields through the ingestion code.
    if (i % Math.round(1 / volumeIngest.share) !== 0) return { ...usage(i, count, now, specs, parties, random, step), tenant };
    const datetime = new Date(now - (count - i) * step - random.int(3_600_000));
    const input = {
      tenantId: random.pick(consumers),
      application: volumeIngest.application,
      resource: `meter-${i}`,
      value: 1 + random.int(1_000),
      unit: volumeIngest.unit,
      datetime,
      provider: random.pick(providers),
    };
    const n = normalize(input, 'default');
    const key = idempotencyKey(n);
    // Stored a minute after it happened, as a sender streaming its meters would have it stored.
    const stored = new Date(datetime.getTime() + 60_000);
    return ingestedUsageDocument(n, { tenant, key, hash: contentHash(n), specificationId, jobId: null }, 'NOVERIFICATION', stored);
  };
  return { specs: [...specs, ingestSpec], parties, count, make, consumers, providers };
}

/** Seeds `db` unless its marker says it holds this shape already. */
export async function seedVolume(db: Db, size: VolumeSize, log: (message: string) => void): Promise<VolumeSeedReport> {
  const markers = db.collection<Marker>('benchSeed');
  const marker = await markers.findOne({ _id: 'volume' }).catch(() => null);
  if (
    marker &&
    marker.version === volumeSeedVersion &&
    marker.usages === size.usages &&
    marker.parties === size.parties &&
    marker.specifications === size.specifications
  ) {
    return { reused: true, insertSeconds: marker.insertSeconds, indexSeconds: marker.indexSeconds, seededAt: marker.seededAt };
  }
  await db.dropDatabase();
  const now = Date.now();
  const started = performance.now();
  for (const [t, tenant] of volumeTenants.entries()) {
    const data = tenantData(tenant, t, size, now);
    await insertAll(db, 'productUsageSpecifications', [data.specs]);
    await insertAll(
      db,
      'parties',
      batches(data.parties.length, (i) => data.parties[i]!),
    );
    let done = 0;
    await insertAll(
      db,
      'productUsages',
      (function* () {
        for (const batch of batches(data.count, data.make)) {
          yield batch;
          done += batch.length;
          if (done % 100_000 === 0) log(`volume seed: ${tenant} ${done.toLocaleString('en')} usages`);
        }
      })(),
    );
  }
  const insertSeconds = (performance.now() - started) / 1000;
  log(`volume seed: ${size.usages.toLocaleString('en')} usages inserted in ${insertSeconds.toFixed(0)} s; building the product's indexes`);
  const indexStart = performance.now();
  // What the subgraphs do at start-up: their repositories create their indexes.
  await ProductUsageRepository.open(db);
  await SpecificationRepository.open(db);
  await PartyRepository.open(db);
  const indexSeconds = (performance.now() - indexStart) / 1000;
  await markers.insertOne({ _id: 'volume', version: volumeSeedVersion, ...size, tenants: volumeTenants, seededAt: new Date(now), insertSeconds, indexSeconds });
  return { reused: false, insertSeconds, indexSeconds, seededAt: new Date(now) };
}

/** The consumers and providers of the bench tenant's ingested usages (the same generator, so the same ids). */
export async function ingestParties(db: Db): Promise<{ consumers: string[]; providers: string[] }> {
  const organisations = await db
    .collection('parties')
    .find({ tenant: benchCaller.tenant, kind: 'Organization' }, { projection: { _id: 1 }, sort: { creationDate: 1 } })
    .limit(volumeIngest.consumers + volumeIngest.providers)
    .toArray();
  const ids = organisations.map((o) => String(o._id));
  return { consumers: ids.slice(0, volumeIngest.consumers), providers: ids.slice(volumeIngest.consumers) };
}
