import { createHash } from 'node:crypto';
import type { Collection, Db, Document, IndexDescriptionInfo, MongoError } from 'mongodb';
import { withDriverErrors } from '../../platform/mongo.js';
import type { PageSource } from '../shared/page-source.js';
import { DocumentRepository, retryOnDeadlock, type IndexKey } from '../shared/repository.js';
import type { IngestionRule, Kpi } from './generated/resolvers.js';
import type { SpecificationDocument } from './mappers.js';

/** Stored documents, derived from the generated GraphQL types (the SDL is the one source of fields). */
export type IngestionRuleDocument = Omit<IngestionRule, '__typename' | 'id'> & { _id: string };
export type KpiDocument = Omit<Kpi, '__typename' | 'id'> & { _id: string };
export type IngestionRulePageSource = PageSource<IngestionRuleDocument>;
export type KpiPageSource = PageSource<KpiDocument>;

/** The only code that touches the ingestionRules collection. One rule per application and unit (unique index). */
export class IngestionRuleRepository extends DocumentRepository<IngestionRuleDocument> {
  static async open(db: Db): Promise<IngestionRuleRepository> {
    // Unique per tenant: each tenant has its own rule per application and unit.
    const collection = await this.collectionWithIndexes<IngestionRuleDocument>(db, 'ingestionRules', []);
    await dropIndex(collection, { application: 1, unit: 1 });
    await uniqueIndex(collection, { tenant: 1, application: 1, unit: 1 });
    return new IngestionRuleRepository(collection, 'ingestion rule');
  }

  /** Without creating indexes (see IngestionCatalogue). */
  static attach(db: Db): IngestionRuleRepository {
    return new IngestionRuleRepository(db.collection<IngestionRuleDocument>('ingestionRules'), 'ingestion rule');
  }

  /** The active rules of these (application, unit) pairs, in one query. */
  active(pairs: readonly { application: string; unit: string }[]): Promise<IngestionRuleDocument[]> {
    if (!pairs.length) return Promise.resolve([]);
    const applications = [...new Set(pairs.map((p) => p.application))];
    const units = [...new Set(pairs.map((p) => p.unit))];
    return withDriverErrors(
      () => this.collection.find(this.scope({ application: { $in: applications }, unit: { $in: units }, active: true })).toArray(),
      'Reading ingestion rules',
    );
  }
}

/** The only code that touches the kpis collection. One KPI per application and name (unique index). */
export class KpiRepository extends DocumentRepository<KpiDocument> {
  static async open(db: Db): Promise<KpiRepository> {
    // Unique per tenant: each tenant names its own KPIs.
    const collection = await this.collectionWithIndexes<KpiDocument>(db, 'kpis', []);
    await dropIndex(collection, { application: 1, name: 1 });
    await uniqueIndex(collection, { tenant: 1, application: 1, name: 1 });
    return new KpiRepository(collection, 'KPI');
  }

  /** Without creating indexes (see IngestionCatalogue). */
  static attach(db: Db): KpiRepository {
    return new KpiRepository(db.collection<KpiDocument>('kpis'), 'KPI');
  }

  byName(application: string, name: string): Promise<KpiDocument | null> {
    return withDriverErrors(() => this.collection.findOne(this.scope({ application, name })), 'Reading a KPI');
  }
}

/**
 * Drops the index on `key` if it exists: the unique indexes before tenant isolation were unique
 * across tenants, and would refuse one tenant's rule or KPI because another has one of that name.
 */
async function dropIndex<D extends Document>(collection: Collection<D>, key: IndexKey): Promise<void> {
  const existing = await withDriverErrors<IndexDescriptionInfo[]>(
    () =>
      collection
        .listIndexes()
        .toArray()
        .catch((error: MongoError) => (error.code === 26 ? [] : Promise.reject(error))),
    'Reading indexes',
  );
  const old = existing.find((index) => JSON.stringify(index.key) === JSON.stringify(key));
  if (old) await withDriverErrors(() => collection.dropIndex(old.name as string), 'Dropping an index');
}

/** Creates a unique index on `key` (idempotent: an index that exists already is left as it is). */
async function uniqueIndex<D extends Document>(collection: Collection<D>, key: IndexKey): Promise<void> {
  // Tried again on a deadlock: subgraphs starting together on a fresh database.
  await retryOnDeadlock(() => withDriverErrors(() => collection.createIndex(key, { unique: true }), 'Creating a unique index'));
}

/**
 * The specification of every usage of one application and unit has an id derived from the two and
 * the tenant, so that any instance finds or creates the same one without coordination, and two
 * tenants sending the same application and unit get a specification each.
 */
export function ingestionSpecificationId(tenant: string, application: string, unit: string): string {
  const hex = createHash('sha256')
    .update(JSON.stringify(['usage-specification', tenant, application, unit]))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function ingestionSpecification(tenant: string, application: string, unit: string, now: Date): SpecificationDocument {
  return {
    _id: ingestionSpecificationId(tenant, application, unit),
    type: 'ProductUsageSpecification',
    name: `${application} ${unit}`,
    description: `Usages of unit ${unit} sent for application ${application}.`,
    lifecycleStatus: 'Active',
    specCharacteristic: [
      { name: 'value', valueType: 'number', unit },
      { name: 'unit', valueType: 'string' },
      { name: 'resource', valueType: 'string' },
      { name: 'application', valueType: 'string' },
      { name: 'alias', valueType: 'string' },
    ],
    creationDate: now,
    lastUpdate: now,
  };
}
