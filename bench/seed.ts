import { randomUUID } from 'node:crypto';
import type { Db, Document } from 'mongodb';
import { benchCaller } from './auth.js';
import { createLogger } from '../platform/logger.js';
import { repairRollups } from '../subgraphs/usage/rollups/repair.js';

/**
 * Drops the bench database and fills it straight through the driver, in batches, with documents
 * shaped exactly as the repositories store them (see subgraphs/<name>/mappers.ts: new*Document).
 * Values come from a seeded generator, so every run stores the same data apart from ids and dates.
 */
export interface SeedSize {
  usages: number;
  parties: number;
  specifications: number;
}

const batchSize = 1_000;
const day = 86_400_000;

/** mulberry32: small, fast and good enough to vary the data reproducibly. */
export function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
  };
}

const kinds = ['Mobile data', 'Voice call', 'SMS', 'API call', 'Device month'] as const;
const units = { 'Mobile data': 'MB', 'Voice call': 's', SMS: 'count', 'API call': 'count', 'Device month': 'month' } as const;
const givenNames = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];
const familyNames = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lee'];
const statuses = ['initialized', 'validated', 'rated', 'rated', 'rated', 'guided', 'billed', 'notRated'] as const;

export function specification(i: number, now: number): Document {
  const kind = kinds[i % kinds.length]!;
  const date = new Date(now - 400 * day + i * 1_000);
  return {
    _id: randomUUID(),
    type: 'ProductUsageSpecification',
    name: `${kind} ${Math.floor(i / kinds.length) + 1}`,
    description: `${kind} usage, tariff ${i}`,
    version: '1.0',
    lifecycleStatus: 'Active',
    specCharacteristic: [
      { name: 'volume', valueType: 'integer', unit: units[kind] },
      { name: 'roaming', valueType: 'boolean' },
    ],
    creationDate: date,
    lastUpdate: date,
  };
}

export function party(i: number, now: number, random: ReturnType<typeof generator>): Document {
  const date = new Date(now - 300 * day + i * 1_000);
  if (i % 5 === 4) {
    const name = `${random.pick(familyNames)} ${random.pick(['Telecom', 'Logistics', 'Fleet', 'Energy'])} ${i}`;
    return {
      kind: 'Organization',
      name,
      tradingName: name,
      status: 'Active',
      contactMedium: [{ mediumType: 'phone', preferred: true, phoneNumber: `+44 20 7946 ${String(i).padStart(4, '0')}` }],
      _id: randomUUID(),
      creationDate: date,
      lastUpdate: date,
    };
  }
  const givenName = random.pick(givenNames);
  const familyName = `${random.pick(familyNames)}-${i}`;
  return {
    kind: 'Individual',
    givenName,
    familyName,
    status: 'Active',
    contactMedium: [{ mediumType: 'email', preferred: true, emailAddress: `${givenName}.${familyName}@example.com`.toLowerCase() }],
    _id: randomUUID(),
    creationDate: date,
    lastUpdate: date,
    name: `${givenName} ${familyName}`,
  };
}

const reference = (doc: Document) => ({ id: doc._id as string, type: 'PartyRef', referredType: doc.kind as string });

/** Usage `i` of `count`, created `stepMs` after the one before it, the last one `stepMs` before `now`. */
export function usage(
  i: number,
  count: number,
  now: number,
  specs: Document[],
  parties: Document[],
  random: ReturnType<typeof generator>,
  stepMs = 60_000,
): Document {
  const spec = specs[random.int(specs.length)]!;
  const customer = parties[random.int(parties.length)]!;
  const payer = random.next() < 0.7 ? customer : parties[random.int(parties.length)]!;
  const created = new Date(now - (count - i) * stepMs);
  const volume = 1 + random.int(1_000_000);
  const net = Math.round(volume * 0.0002 * 100) / 100;
  return {
    _id: randomUUID(),
    type: 'ProductUsage',
    creationDate: created,
    lastUpdate: created,
    usageDate: new Date(created.getTime() - random.int(3_600_000)),
    usageType: String(spec.name).replace(/ \d+$/, '').toLowerCase(),
    description: `Usage ${i}`,
    status: random.pick(statuses),
    usageCharacteristic: [
      { name: 'volume', valueType: 'integer', value: volume },
      { name: 'roaming', valueType: 'boolean', value: random.next() < 0.1 },
      { name: 'cell', valueType: 'string', value: `cell-${random.int(5_000)}` },
    ],
    relatedParty: [
      { role: 'customer', partyOrPartyRole: reference(customer) },
      { role: 'payer', partyOrPartyRole: reference(payer) },
    ],
    product: { id: `product-${random.int(5_000)}` },
    usageSpecification: { id: spec._id as string, name: spec.name as string },
    usageProductPrice: [
      {
        name: 'Usage charge',
        priceType: 'usage',
        unitOfMeasure: units[kinds.find((k) => String(spec.name).startsWith(k))!],
        price: { dutyFreeAmount: { unit: 'EUR', value: net }, taxIncludedAmount: { unit: 'EUR', value: Math.round(net * 120) / 100 }, taxRate: 20 },
      },
    ],
    ratedProductUsage: [],
    externalIdentifier: [{ id: `cdr-${i}`, owner: 'mediation', externalIdentifierType: 'CDR' }],
  };
}

async function insertInBatches(db: Db, name: string, count: number, make: (i: number) => Document): Promise<Document[]> {
  const all: Document[] = [];
  for (let start = 0; start < count; start += batchSize) {
    // Stamped with the bench caller's tenant, as the repositories would: other tenants' documents are invisible to it.
    const batch = Array.from({ length: Math.min(batchSize, count - start) }, (_, k) => ({ ...make(start + k), tenant: benchCaller.tenant }));
    await db.collection(name).insertMany(batch, { ordered: false });
    all.push(...batch);
  }
  return all;
}

export async function seed(db: Db, size: SeedSize): Promise<void> {
  await db.dropDatabase();
  const now = Date.now();
  const random = generator(635);
  const specs = await insertInBatches(db, 'productUsageSpecifications', size.specifications, (i) => specification(i, now));
  const parties = await insertInBatches(db, 'parties', size.parties, (i) => party(i, now, random));
  await insertInBatches(db, 'productUsages', size.usages, (i) => usage(i, size.usages, now, specs, parties, random));
  // Loaded around the API: the rollups behind counts are brought in line as an operator would (`npm run rollups:repair`).
  await repairRollups(db, createLogger('warn'));
}
