import type { CommandStartedEvent, Db, Document, MongoClient, Sort } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { productUsageV5Catalogue, usageSpecificationV4Catalogue, usageV4Catalogue } from '../../rest-adapter/catalogues.js';
import type { FieldCatalogue } from '../../rest-adapter/tmf-query.js';
import { asSortSpec, cursorOf, keysetOf } from '../../subgraphs/shared/cursor.js';
import { connectMongo } from '../../platform/mongo.js';
import type { Page } from '../../subgraphs/shared/query.js';
import { partyFilter, partyRoleFilter, partySort, defaultPartyRoleSort } from '../../subgraphs/party/filters.js';
import { PartyRepository, PartyRoleRepository } from '../../subgraphs/party/repository.js';
import { specificationCatalogue, specificationFilter, specificationSort } from '../../subgraphs/specification/filters.js';
import type { CatalogueKpi, IngestionCatalogue } from '../../subgraphs/usage/ingestion/catalogue.js';
import { IngestionRuleRepository, KpiRepository } from '../../subgraphs/specification/ingestion-repository.js';
import { SpecificationRepository } from '../../subgraphs/specification/repository.js';
import { UsageAggregator } from '../../subgraphs/usage/ingestion/aggregates.js';
import { ExportJobRepository } from '../../subgraphs/usage/exports/repository.js';
import { usageCatalogue, usageFilter, usagePaths, usageSort } from '../../subgraphs/usage/product-usage/filters.js';
import type { ProductUsageSortField } from '../../subgraphs/usage/generated/resolvers.js';
import { IngestErrorRepository, IngestJobRepository } from '../../subgraphs/usage/ingestion/job-repository.js';
import { ProductUsageRepository } from '../../subgraphs/usage/product-usage/repository.js';
import { hourOf } from '../../subgraphs/usage/rollups/buckets.js';
import { RollupMaintainer, defaultRollupTiming } from '../../subgraphs/usage/rollups/maintainer.js';
import { MarkRepository } from '../../subgraphs/usage/rollups/marks.js';
import { RollupReader } from '../../subgraphs/usage/rollups/reader.js';
import { RollupRepair } from '../../subgraphs/usage/rollups/repair.js';
import { HourRollupRepository, KpiDayRollupRepository } from '../../subgraphs/usage/rollups/repository.js';
import { createLogger } from '../../platform/logger.js';
import { startStack, type Stack } from '../support/stack.js';
import { MeterHourRollupRepository } from '../../subgraphs/usage/rollups/meter-repository.js';
import { sizeProbeComment } from '../../subgraphs/shared/repository.js';
import { meterQuery } from '../../subgraphs/usage/meters/query.js';
import { RollupMeterSource } from '../../subgraphs/usage/meters/rollup-source.js';
import { UsageMeterSource } from '../../subgraphs/usage/meters/source.js';

/**
 * Issue 13: every list shape the GraphQL and REST lists accept is served by an index. Each shape is
 * run through the project's own code (filters.ts, cursor.ts, the repositories), the find and
 * aggregate commands the repository sends are captured from the driver, and each is explained
 * against the real database: a `Seq Scan`, or an index scan bounded on nothing (a full index scan,
 * which DocumentDB's forceUseIndexIfAvailable makes of a query no index serves), fails the test
 * with the shape's name. docs/database.md, "Indexes and plans", says what each plan is.
 */

const tenant = 'test-tenant';
const otherTenant = 'other-tenant';
const usageCount = { [tenant]: 3_000, [otherTenant]: 1_000 };
const first: Page = { skip: 0, limit: 20 };
const report = process.env.EXPLAIN_REPORT === '1';

let stack: Stack;
let client: MongoClient;
let db: Db;
let captured: Document[] = [];

const repos = {} as {
  usages: ProductUsageRepository;
  specs: SpecificationRepository;
  parties: PartyRepository;
  roles: PartyRoleRepository;
  jobs: IngestJobRepository;
  errors: IngestErrorRepository;
  exports: ExportJobRepository;
  rules: IngestionRuleRepository;
  kpis: KpiRepository;
};

const day = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 15 * 60_000);
const iso = (date: Date) => date.toISOString().slice(0, 10);

function usage(i: number, owner: string): Document {
  const at = day(i);
  return {
    _id: `${owner}-u${i}`,
    tenant: owner,
    type: i % 10 === 0 ? 'CdrUsage' : 'ProductUsage',
    description: `usage ${i}`,
    usageType: `type-${i % 8}`,
    status: ['received', 'rated', 'billed', 'guided'][i % 4],
    usageDate: at,
    creationDate: new Date(at.getTime() + 60_000),
    lastUpdate: new Date(at.getTime() + 120_000),
    usageSpecification: { id: `spec-${i % 25}`, name: `Spec ${i % 25}` },
    product: { id: `product-${i % 60}`, name: `Product ${i % 60}` },
    relatedParty: [
      { role: 'customer', partyOrPartyRole: { id: `party-${i % 150}`, name: `Party ${i % 150}`, type: 'PartyRef' } },
      { role: i % 5 ? 'provider' : 'reseller', partyOrPartyRole: { id: `provider-${i % 5}`, type: 'PartyRef' } },
    ],
    externalIdentifier: [{ id: `ext-${owner}-${i}`, owner: 'billing', externalIdentifierType: 'cdr' }],
    usageCharacteristic: [{ name: 'volume', valueType: 'number', value: i % 100 }],
    ratedProductUsage: [{ isBilled: i % 3 === 0, ratingDate: at, taxIncludedRatingAmount: { value: i % 50, unit: 'EUR' } }],
    ingest: {
      tenant: `consumer-${i % 6}`,
      provider: `provider-${i % 3}`,
      application: `app-${i % 4}`,
      unit: i % 2 ? 'GB' : 'calls',
      value: i % 100,
      day: iso(at),
      month: iso(at).slice(0, 7),
      user: null,
      userType: 'user',
      alias: null,
      resource: `resource-${i % 9}`,
    },
  };
}

async function insertAll(name: string, docs: Document[]): Promise<void> {
  for (let start = 0; start < docs.length; start += 1_000) await db.collection(name).insertMany(docs.slice(start, start + 1_000), { ordered: false });
}

/** Both tenants' data, in the numbers a tenant's lists would have after a few weeks. */
async function seed(): Promise<void> {
  for (const [owner, count] of Object.entries(usageCount)) {
    await insertAll(
      'productUsages',
      Array.from({ length: count }, (_, i) => usage(i, owner)),
    );
    await insertAll(
      'productUsageSpecifications',
      Array.from({ length: 300 }, (_, i) => ({
        _id: `${owner}-spec-${i}`,
        tenant: owner,
        type: 'ProductUsageSpecification',
        name: `Spec ${i}`,
        description: `spec ${i}`,
        version: `${i % 5}.0`,
        lifecycleStatus: ['Active', 'Retired', 'In design'][i % 3],
        isBundle: i % 7 === 0,
        validFor: { startDateTime: day(i), endDateTime: day(i + 10_000) },
        specCharacteristic: [{ name: 'value', valueType: 'number', unit: 'GB' }],
        creationDate: day(i),
        lastUpdate: day(i + 1),
      })),
    );
    await insertAll(
      'parties',
      Array.from({ length: 400 }, (_, i) => ({
        _id: `${owner}-party-${i}`,
        tenant: owner,
        kind: i % 2 ? 'Organization' : 'Individual',
        name: `Party ${i}`,
        status: ['initialized', 'validated', 'closed'][i % 3],
        creationDate: day(i),
        lastUpdate: day(i + 1),
      })),
    );
    await insertAll(
      'partyRoles',
      Array.from({ length: 400 }, (_, i) => ({
        _id: `${owner}-role-${i}`,
        tenant: owner,
        name: `Role ${i}`,
        status: ['active', 'suspended'][i % 2],
        engagedPartyId: `${owner}-party-${i % 200}`,
        creationDate: day(i),
        lastUpdate: day(i + 1),
      })),
    );
    await insertAll(
      'usageIngestJobs',
      Array.from({ length: 500 }, (_, i) => ({
        _id: `${owner}-job-${i}`,
        tenant: owner,
        time: day(i),
        day: iso(day(i)),
        status: i % 5 ? 'COMPLETED' : 'ERRORS',
        usagesCount: 10,
        usagesSummary: [],
        tenants: [`consumer-${i % 6}`],
        applications: [`app-${i % 4}`],
        units: ['GB'],
        processedCount: 10,
        errorCount: i % 5 ? 0 : 2,
      })),
    );
    await insertAll(
      'usageIngestErrors',
      Array.from({ length: 1_000 }, (_, i) => ({
        _id: `${owner}-job-${(i % 100) * 5}:${i}`,
        tenant: owner,
        jobId: `${owner}-job-${(i % 100) * 5}`,
        index: i,
        errorType: i % 2 ? 'ValidationError' : 'RuleViolation',
        code: 'X',
        message: 'x',
        messageParameters: [],
        rule: 'r',
        usage: {},
      })),
    );
    await insertAll(
      'exportJobs',
      Array.from({ length: 300 }, (_, i) => ({ _id: `${owner}-export-${i}`, tenant: owner, status: i % 10 ? 'Succeeded' : 'Running', creationDate: day(i) })),
    );
    await insertAll(
      'ingestionRules',
      Array.from({ length: 200 }, (_, i) => ({
        _id: `${owner}-rule-${i}`,
        tenant: owner,
        application: `app-${i % 20}`,
        unit: `unit-${i}`,
        active: i % 2 === 0,
      })),
    );
    await insertAll(
      'kpis',
      Array.from({ length: 200 }, (_, i) => ({ _id: `${owner}-kpi-${i}`, tenant: owner, application: `app-${i % 20}`, name: `kpi-${i}`, unit: `unit-${i}` })),
    );
  }
}

/** What the explain of one shape found. */
interface Finding {
  shape: string;
  command: string;
  nodes: string[];
  indexes: string[];
  problems: string[];
  ms: number;
}
const findings: Finding[] = [];

/** The scan nodes of a PostgreSQL plan and what is wrong with them: sequential, or an index scan bounded on nothing. */
function scanProblems(plan: Document): { nodes: string[]; indexes: string[]; problems: string[] } {
  const nodes: string[] = [];
  const indexes: string[] = [];
  const problems: string[] = [];
  const walk = (node: Document) => {
    const type = String(node['Node Type']);
    nodes.push(type === 'Custom Scan' ? String(node['Custom Plan Provider'] ?? type) : type);
    if (type === 'Seq Scan') problems.push(`Seq Scan on ${String(node['Relation Name'])}`);
    if (['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'].includes(type)) {
      indexes.push(String(node['Index Name']));
      const condition = node['Index Cond'] as string | undefined;
      if (!condition) problems.push(`full scan of index ${String(node['Index Name'])} (no index condition)`);
      // Every document of an unsharded collection has the same shard key: DocumentDB's forced "index scan" of a query no index serves.
      else if (/^\(shard_key_value = '\d+'::bigint\)$/.test(condition)) problems.push(`full scan of index ${String(node['Index Name'])} (${condition})`);
    }
    for (const detail of (node.IndexDetails as Document[] | undefined) ?? []) {
      for (const bounds of (detail.indexBounds as string[] | undefined) ?? []) {
        // e.g. ["tenant": ["t", "t"], "status": (MinKey, MaxKey)]: read whole when no key is bounded.
        const keys = [...bounds.matchAll(/"[^"]+": (?:DESC)?([[(][^\])]*[\])])/g)].map((match) => match[1]);
        if (keys.length && keys.every((range) => range === '(MinKey, MaxKey)'))
          problems.push(`full scan of index ${String(detail.indexName)} (bounds ${bounds})`);
      }
    }
    for (const child of (node.Plans as Document[] | undefined) ?? []) walk(child);
  };
  walk(plan);
  return { nodes, indexes, problems };
}

/** The command as the explain command takes it: no session, cluster time or database fields. */
function explainable(command: Document): Document {
  const keep = ['find', 'aggregate', 'filter', 'sort', 'skip', 'limit', 'projection', 'hint', 'pipeline'];
  const out: Document = {};
  for (const key of keep) if (command[key] !== undefined) out[key] = command[key];
  if (out.aggregate !== undefined) out.cursor = {};
  return out;
}

/**
 * Runs `action` (one list shape, through the project's own code), then explains every find and
 * aggregate it sent and records what each plan scans.
 */
async function shape(name: string, action: () => Promise<unknown>): Promise<void> {
  captured = [];
  const start = performance.now();
  await action();
  const ms = performance.now() - start;
  const commands = captured;
  expect(commands.length, `${name}: sent no find or aggregate`).toBeGreaterThan(0);
  for (const command of commands) {
    const result = await db.command({ explain: explainable(command), verbosity: 'queryPlanner' });
    const plan = (result.queryPlanner as Document | undefined)?.Plan as Document | undefined;
    expect(plan, `${name}: explain has no queryPlanner.Plan: ${JSON.stringify(result).slice(0, 500)}`).toBeDefined();
    const { nodes, indexes, problems } = scanProblems(plan!);
    findings.push({ shape: name, command: String(command.find ?? command.aggregate), nodes, indexes, problems, ms });
  }
}

const problemsOf = (prefix: string) =>
  findings.filter((f) => f.shape.startsWith(prefix) && f.problems.length).map((f) => `${f.shape} (${f.command}): ${f.problems.join('; ')}`);

/** The stored paths of productUsages that have an index of their own (`{ tenant: 1, path: 1 }`, or `_id`). */
let ownIndex: Set<string>;
const indexName = (path: string) => (path === '_id' ? /^_id_$/ : new RegExp(`^tenant_1_${path.replace(/[.$]/g, '\\$&')}_-?1(_|$)`));

/**
 * The shapes of `prefix` filtering on `path` that were not read through the path's own index (when it
 * has one): a filter with an index must be narrowed by it, not only by the tenant's range.
 */
const notNarrowed = (prefix: string, path: string) =>
  ownIndex.has(path)
    ? findings
        .filter((f) => f.shape.startsWith(prefix) && !f.indexes.some((name) => indexName(path).test(name)))
        .map((f) => `${f.shape}: read ${f.indexes.join(', ')}, not the index on ${path}`)
    : [];

beforeAll(async () => {
  stack = await startStack('explain');
  client = await connectMongo(inject('mongodbUri'), { monitorCommands: true });
  db = client.db(stack.config.mongodbDb);
  client.on('commandStarted', (event: CommandStartedEvent) => {
    // The size probe (DocumentRepository.large) is a bounded scan on purpose, once a minute.
    if (event.command.comment === sizeProbeComment) return;
    if (event.databaseName === db.databaseName && (event.commandName === 'find' || event.commandName === 'aggregate')) captured.push(event.command);
  });
  // The subgraphs created the indexes at start-up; opening again is idempotent and gives this file the repositories.
  repos.usages = (await ProductUsageRepository.open(db)).forTenant(tenant);
  repos.specs = (await SpecificationRepository.open(db)).forTenant(tenant);
  repos.parties = (await PartyRepository.open(db)).forTenant(tenant);
  repos.roles = (await PartyRoleRepository.open(db)).forTenant(tenant);
  repos.jobs = (await IngestJobRepository.open(db)).forTenant(tenant);
  repos.errors = (await IngestErrorRepository.open(db)).forTenant(tenant);
  repos.exports = (await ExportJobRepository.open(db)).forTenant(tenant);
  repos.rules = (await IngestionRuleRepository.open(db)).forTenant(tenant);
  repos.kpis = (await KpiRepository.open(db)).forTenant(tenant);
  await seed();
  const keys = (await db.collection('productUsages').listIndexes().toArray()).map((index) => Object.keys(index.key as Document));
  ownIndex = new Set(keys.map((key) => (key[0] === 'tenant' ? key[1] : key[0])).filter((path): path is string => path !== undefined));
});

afterAll(async () => {
  if (report) {
    for (const f of findings) {
      console.log(
        `${f.shape} | ${f.command} | ${f.nodes.join(' > ')} | ${[...new Set(f.indexes)].join(', ')} | ${f.ms.toFixed(1)} ms${f.problems.length ? ` | ${f.problems.join('; ')}` : ''}`,
      );
    }
  }
  await client?.close();
  await stack?.close();
});

/** A value of the catalogue path's type that a condition accepts. */
function sampleValue(path: string): unknown {
  const spec = usageCatalogue[path]!;
  if (spec.enumValues) return spec.enumValues[0];
  return { dateTime: '2025-01-10T00:00:00Z', number: 1, boolean: true, string: 'x', scalar: 'x' }[spec.type];
}

/** Pages and counts of `filter` as a productUsages list sends them (the page, then totalCount). */
async function usageList(name: string, filter: Document, sort: Sort = usageSort(undefined)): Promise<void> {
  await shape(`${name}, page`, () => repos.usages.findPage(filter, sort, first));
  await shape(`${name}, count`, () => repos.usages.count(filter));
}

describe('the productUsages lists (GraphQL)', () => {
  it('the default page, its count and its cursor pages are served by an index', async () => {
    await usageList('default newest first', usageFilter(undefined));
    const sort = usageSort(undefined);
    const page = await repos.usages.findPage({}, sort, first);
    const cursor = cursorOf(page.items.at(-1)!, asSortSpec(sort));
    await shape('default, after a cursor', () => repos.usages.findPage({}, sort, { ...first, keyset: keysetOf(cursor, 'after', asSortSpec(sort)) }));
    await shape('default, before a cursor', () => repos.usages.findPage({}, sort, { ...first, keyset: keysetOf(cursor, 'before', asSortSpec(sort)) }));
    const byDate = usageSort([{ field: 'usageDate', direction: 'DESC' }]);
    const dated = await repos.usages.findPage({}, byDate, first);
    const dateCursor = cursorOf(dated.items.at(-1)!, asSortSpec(byDate));
    await shape('usageDate DESC, after a cursor', () =>
      repos.usages.findPage({}, byDate, { ...first, keyset: keysetOf(dateCursor, 'after', asSortSpec(byDate)) }),
    );
    await shape('offset 1000', () => repos.usages.findPage({}, sort, { skip: 1_000, limit: 20 }));
    expect(problemsOf('default').concat(problemsOf('usageDate DESC, after'), problemsOf('offset'))).toEqual([]);
  });

  it('each typed filter is served by an index', async () => {
    const since = { gte: new Date('2025-01-10T00:00:00Z'), lt: new Date('2025-01-12T00:00:00Z') };
    const filters: Record<string, Parameters<typeof usageFilter>[0]> = {
      id: { id: [`${tenant}-u1`, `${tenant}-u2`] },
      status: { status: ['rated'] },
      usageType: { usageType: ['type-3'] },
      'usageDate range': { usageDate: since },
      'creationDate range': { creationDate: since },
      'lastUpdate range': { lastUpdate: since },
      relatedPartyId: { relatedPartyId: ['party-7'] },
      relatedPartyRole: { relatedPartyRole: ['reseller'] },
      usageSpecificationId: { usageSpecificationId: ['spec-3'] },
      productId: { productId: ['product-9'] },
      externalIdentifierId: { externalIdentifierId: [`ext-${tenant}-42`] },
      'status and usageDate range': { status: ['billed'], usageDate: since },
    };
    for (const [name, filter] of Object.entries(filters)) await usageList(`filter ${name}`, usageFilter(filter));
    expect(problemsOf('filter ')).toEqual([]);
    const paths: Record<string, string> = {
      id: '_id',
      status: 'status',
      usageType: 'usageType',
      'usageDate range': 'usageDate',
      'creationDate range': 'creationDate',
      'lastUpdate range': 'lastUpdate',
      relatedPartyId: usagePaths.relatedPartyId,
      relatedPartyRole: usagePaths.relatedPartyRole,
      usageSpecificationId: usagePaths.usageSpecificationId,
      productId: usagePaths.productId,
      externalIdentifierId: usagePaths.externalIdentifierId,
    };
    for (const path of Object.values(paths)) expect(ownIndex.has(path), `no index of its own for ${path}`).toBe(true);
    expect(Object.entries(paths).flatMap(([name, path]) => notNarrowed(`filter ${name},`, path))).toEqual([]);
  });

  it('each sort, ascending and descending, is served by an index', async () => {
    const fields: ProductUsageSortField[] = ['creationDate', 'lastUpdate', 'usageDate', 'status', 'usageType', 'id'];
    const paths = Object.entries(usageCatalogue)
      .filter(([, spec]) => spec.sortable)
      .map(([path]) => path);
    for (const direction of ['ASC', 'DESC'] as const) {
      for (const field of fields) await shape(`sort ${field} ${direction}`, () => repos.usages.findPage({}, usageSort([{ field, direction }]), first));
      for (const path of paths) await shape(`sort path ${path} ${direction}`, () => repos.usages.findPage({}, usageSort([{ path, direction }]), first));
    }
    expect(problemsOf('sort ')).toEqual([]);
  });

  it('generic where conditions on every catalogue path stay within the tenant’s index range', async () => {
    for (const path of Object.keys(usageCatalogue)) {
      await shape(`where ${path}`, () => repos.usages.findPage(usageFilter({ where: [{ path, values: [sampleValue(path)] }] }), usageSort(undefined), first));
    }
    expect(problemsOf('where ')).toEqual([]);
  });

  it('the reverse lookups (Party.productUsages, ProductUsageSpecification.productUsages) are served by an index', async () => {
    const filter = usageFilter(undefined);
    const sort = usageSort(undefined);
    for (const path of [usagePaths.relatedPartyId, usagePaths.usageSpecificationId]) {
      await shape(`relation ${path}, counts`, () => repos.usages.countByRelation(path, ['party-1', 'party-2', 'spec-1', 'spec-2'], filter));
      await shape(`relation ${path}, page`, () => repos.usages.find({ $and: [filter, { [path]: 'party-1' }] }, sort, first));
    }
    await shape(`relation with a status filter, counts`, () =>
      repos.usages.countByRelation(usagePaths.relatedPartyId, ['party-1'], usageFilter({ status: ['rated'] })),
    );
    expect(problemsOf('relation ')).toEqual([]);
  });

  it('the outbox sweep reads its sparse index, not the collection', async () => {
    const unscoped = await ProductUsageRepository.open(db);
    await shape('outbox sweep', () => unscoped.withPendingEvents(Date.now() * 1_000, 500));
    expect(problemsOf('outbox sweep')).toEqual([]);
    expect(findings.filter((f) => f.shape === 'outbox sweep').flatMap((f) => f.indexes)).toContain('outbox.seq_1');
  });

  it('the rollups: their repair, their maintenance, the count and the KPI aggregates read from them', async () => {
    const unscoped = await ProductUsageRepository.open(db);
    const [marks, hours, kpiDays, meterHours] = await Promise.all([
      MarkRepository.open(db),
      HourRollupRepository.open(db),
      KpiDayRollupRepository.open(db),
      MeterHourRollupRepository.open(db),
    ]);
    const maintainer = new RollupMaintainer(marks, hours, kpiDays, meterHours, unscoped, { ...defaultRollupTiming, settleMs: 0 }, createLogger('warn'));
    const reader = new RollupReader(marks, hours, kpiDays);
    // The seed went around the API: the repair pass finds every bucket, the maintainer computes them.
    await shape('rollup repair pass', () => new RollupRepair(unscoped, hours, kpiDays, meterHours, maintainer).pass());
    await shape('rollup maintainer round', () => maintainer.round());
    await maintainer.drain();
    await shape('rollup count of a tenant', () => reader.countAll(repos.usages));
    expect(await reader.countAll(repos.usages)).toBe(usageCount[tenant]);
    // A marked hour is counted from its usages (the marks, then the rollups but that hour, then the hour's usages).
    // Meters from each rollup: the summaries' cells and quarters (a Kolkata day cuts its first hour
    // at :30), their cells by specification, the hourly rows; the marked hour from the usages.
    const meters = new RollupMeterSource(repos.usages, marks, meterHours, new UsageMeterSource(repos.usages));
    const dimensions = { cells: ['USAGE_TYPE', 'STATUS'], specCells: ['USAGE_SPECIFICATION', 'STATUS'], rows: ['PRODUCT'] } as const;
    for (const [read, groupBy] of Object.entries(dimensions)) {
      const query = meterQuery({
        aggregation: 'SUM',
        value: 'volume',
        from: day(0),
        to: new Date(Date.UTC(2025, 0, 4)),
        windowSize: 'DAY',
        timeZone: 'Asia/Kolkata',
        groupBy: groupBy.map((dimension) => ({ dimension })),
      });
      await shape(`rollup meter from the ${read}`, async () => {
        for await (const batch of meters.rows(query)) for (const row of batch) expect(row.value).toBeTypeOf('number');
      });
    }
    await maintainer.markBuckets(tenant, [{ kind: 'hour', hour: hourOf(day(5)) }]);
    await shape('rollup count of a tenant with an hour behind', () => reader.countAll(repos.usages));
    expect(problemsOf('rollup ')).toEqual([]);

    const kpi = (dailyFunction: CatalogueKpi['dailyFunction']): CatalogueKpi => ({
      _id: 'kpi',
      application: 'app-1',
      name: 'volume',
      unit: 'GB',
      dailyFunction,
      monthlyFunction: 'SUM',
      preFill: 'NONE',
    });
    const aggregator = (fn: CatalogueKpi['dailyFunction']) =>
      new UsageAggregator(repos.usages, reader, { kpi: () => Promise.resolve(kpi(fn)) } as unknown as IngestionCatalogue);
    const daily = { application: 'app-1', kpiName: 'volume', from: '2025-01-05', to: '2025-01-20' };
    await shape('kpi daily SUM', () => aggregator('SUM').daily(daily, first, '2025-02-01'));
    await shape('kpi daily MAX', () => aggregator('MAX').daily(daily, first, '2025-02-01'));
    await shape('kpi daily SUM of one consumer and provider', () =>
      aggregator('SUM').daily({ ...daily, consumer: 'consumer-1', provider: 'provider-1' }, first, '2025-02-01'),
    );
    await shape('kpi monthly SUM', () => aggregator('SUM').monthly({ application: 'app-1', kpiName: 'volume', month: '2025-01' }, first, '2025-02-01'));
    await shape('kpi monthly LAST', () => aggregator('LAST').monthly({ application: 'app-1', kpiName: 'volume', month: '2025-01' }, first, '2025-02-01'));
    // A marked KPI day is computed from its usages.
    await maintainer.markBuckets(tenant, [{ kind: 'kpiDay', application: 'app-1', unit: 'GB', day: '2025-01-06' }]);
    await shape('kpi daily SUM with a day behind', () => aggregator('SUM').daily(daily, first, '2025-02-01'));
    expect(problemsOf('kpi ')).toEqual([]);
  });
});

/** Each attribute a TMF list filters on (and sorts on, when sortable), as the REST facade sends it: a `where` on its graph path. */
async function restList(prefix: string, catalogue: FieldCatalogue): Promise<string[]> {
  const narrowing: string[] = [];
  for (const [attribute, spec] of Object.entries(catalogue)) {
    if (spec.filterable !== false && usageCatalogue[spec.path]) {
      await usageList(`${prefix} filter ${attribute}`, usageFilter({ where: [{ path: spec.path, values: [sampleValue(spec.path)] }] }));
      narrowing.push(...notNarrowed(`${prefix} filter ${attribute},`, usageCatalogue[spec.path]!.stored));
    }
    if (spec.sortable !== false && usageCatalogue[spec.path]?.sortable) {
      for (const direction of ['ASC', 'DESC'] as const) {
        await shape(`${prefix} sort ${attribute} ${direction}`, () => repos.usages.findPage({}, usageSort([{ path: spec.path, direction }]), first));
      }
    }
  }
  return narrowing;
}

describe('the TMF lists (REST)', () => {
  it('every v5 productUsage filter and sort is served by an index', async () => {
    const narrowing = await restList('v5', productUsageV5Catalogue);
    expect(problemsOf('v5 ')).toEqual([]);
    expect(narrowing).toEqual([]);
  });

  it('every v4 usage filter and sort is served by an index', async () => {
    const narrowing = await restList('v4', usageV4Catalogue);
    expect(problemsOf('v4 ')).toEqual([]);
    expect(narrowing).toEqual([]);
  });
});

describe('the other lists', () => {
  it('specifications, parties and party roles are served by an index', async () => {
    const specFilters: Record<string, Parameters<typeof specificationFilter>[0]> = {
      default: undefined,
      name: { name: ['Spec 3'] },
      lifecycleStatus: { lifecycleStatus: ['Active'] },
      version: { version: ['1.0'] },
      id: { id: [`${tenant}-spec-1`, `${tenant}-spec-2`] },
    };
    for (const [name, filter] of Object.entries(specFilters)) {
      await shape(`specifications ${name}, page`, () => repos.specs.findPage(specificationFilter(filter), specificationSort(undefined), first));
      await shape(`specifications ${name}, count`, () => repos.specs.count(specificationFilter(filter)));
    }
    for (const field of ['name', 'version', 'lifecycleStatus', 'creationDate', 'lastUpdate', 'id'] as const) {
      await shape(`specifications sort ${field}`, () => repos.specs.findPage({}, specificationSort([{ field, direction: 'DESC' }]), first));
    }
    for (const spec of Object.values(usageSpecificationV4Catalogue)) {
      const path = spec.path;
      const stored = specificationCatalogue[path];
      if (!stored) continue;
      const value = { dateTime: '2025-01-10T00:00:00Z', number: 1, boolean: true, string: 'x', scalar: 'x' }[stored.type];
      await shape(`specifications where ${path}`, () =>
        repos.specs.findPage(specificationFilter({ where: [{ path, values: [value] }] }), specificationSort(undefined), first),
      );
    }
    const partyFilters: Record<string, Parameters<typeof partyFilter>[0]> = {
      default: undefined,
      kind: { kind: ['Organization'] },
      status: { status: ['validated'] },
      name: { name: ['Party 3'] },
    };
    for (const [name, filter] of Object.entries(partyFilters)) {
      await shape(`parties ${name}, page`, () => repos.parties.findPage(partyFilter(filter), partySort(undefined), first));
      await shape(`parties ${name}, count`, () => repos.parties.count(partyFilter(filter)));
    }
    for (const field of ['name', 'creationDate', 'lastUpdate', 'id'] as const) {
      await shape(`parties sort ${field}`, () => repos.parties.findPage({}, partySort([{ field, direction: 'ASC' }]), first));
    }
    const roleFilters: Record<string, Parameters<typeof partyRoleFilter>[0]> = {
      default: undefined,
      status: { status: ['active'] },
      engagedPartyId: { engagedPartyId: [`${tenant}-party-3`] },
      name: { name: ['Role 3'] },
    };
    for (const [name, filter] of Object.entries(roleFilters)) {
      await shape(`partyRoles ${name}, page`, () => repos.roles.findPage(partyRoleFilter(filter), defaultPartyRoleSort, first));
      await shape(`partyRoles ${name}, count`, () => repos.roles.count(partyRoleFilter(filter)));
    }
    expect(problemsOf('specifications').concat(problemsOf('parties'), problemsOf('partyRoles'))).toEqual([]);
  });

  it('ingestion jobs, their errors, export jobs, rules and KPIs are served by an index', async () => {
    // As resolvers/ingestion.ts builds them: each filter field an equality on its stored list.
    const jobFilters: Record<string, Document> = {
      default: {},
      date: { day: '2025-01-02' },
      tenant: { tenants: 'consumer-1' },
      application: { applications: 'app-1' },
      unit: { units: 'GB' },
    };
    for (const [name, filter] of Object.entries(jobFilters)) {
      await shape(`ingest jobs ${name}, page`, () => repos.jobs.find(filter, { time: -1, _id: -1 }, first));
      await shape(`ingest jobs ${name}, count`, () => repos.jobs.count(filter));
    }
    const job = `${tenant}-job-5`;
    for (const [name, filter] of Object.entries({ all: { jobId: job }, validationOnly: { jobId: job, errorType: 'ValidationError' as const } })) {
      await shape(`ingest errors ${name}, page`, () => repos.errors.find(filter, { jobId: 1, index: 1 }, first));
      await shape(`ingest errors ${name}, count`, () => repos.errors.count(filter));
    }
    await shape('export jobs, page', () => repos.exports.findPage({}, { creationDate: -1, _id: -1 }, first));
    await shape('export jobs, count', () => repos.exports.count({}));
    await shape('export jobs, unfinished', () => repos.exports.unfinishedCount());
    const ruleSort = { application: 1, unit: 1, _id: 1 } as const;
    for (const [name, filter] of Object.entries({
      default: {},
      application: { application: 'app-1' },
      unit: { application: 'app-1', unit: 'unit-1' },
      active: { active: true },
    })) {
      await shape(`rules ${name}, page`, () => repos.rules.findPage(filter, ruleSort, first));
      await shape(`rules ${name}, count`, () => repos.rules.count(filter));
    }
    const kpiSort = { application: 1, name: 1, _id: 1 } as const;
    for (const [name, filter] of Object.entries({ default: {}, application: { application: 'app-1' }, name: { application: 'app-1', name: 'kpi-1' } })) {
      await shape(`kpis ${name}, page`, () => repos.kpis.findPage(filter, kpiSort, first));
      await shape(`kpis ${name}, count`, () => repos.kpis.count(filter));
    }
    expect(problemsOf('ingest ').concat(problemsOf('export '), problemsOf('rules '), problemsOf('kpis '))).toEqual([]);
  });
});

describe('the detector', () => {
  it('reports a query no index serves as a sequential or full scan', async () => {
    // Not tenant-scoped and on an unindexed path: what a repository never sends, and what the test must catch.
    const unscoped = await ProductUsageRepository.open(db);
    await shape('control: description without a tenant', () =>
      unscoped.findPage(usageFilter({ where: [{ path: 'description', values: ['usage 5'] }] }), {}, first),
    );
    const control = findings.filter((f) => f.shape.startsWith('control:'));
    expect(control.length).toBeGreaterThan(0);
    for (const f of control) expect(f.problems.join('; ')).toMatch(/Seq Scan on documents_\d+|full scan of index/);
  });
});
