import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Collection, Db, Document, Filter } from 'mongodb';
import { usagesToCsv } from '../../gateway/console/src/csv.js';
import { bundleOf, services } from '../../scripts/build.js';
import { cursorOf, keysetFilter, type SortSpec } from '../../subgraphs/shared/cursor.js';
import { defaultUsageSort } from '../../subgraphs/usage/product-usage/filters.js';
import { usageShape, type ProductUsageDocument } from '../../subgraphs/usage/product-usage/documents.js';
import { benchCaller, ingestTenant } from '../auth.js';
import { startChild, stopAll, type Child } from '../child.js';
import type { BenchConfig } from '../config.js';
import { root, runLoad, type MeasuredRun } from '../load.js';
import { rssMiB } from '../processes.js';
import type { BenchContext, Scenario } from '../scenario.js';
import { ourGateway, startSubgraphs, type Subgraphs } from '../servers/subgraphs.js';
import { fixed, median, percentile, table } from '../stats.js';
import { ingestParties, seedVolume, volumeDays, volumeIngest, type VolumeSeedReport } from '../volume-seed.js';
import { repairRollups } from '../../subgraphs/usage/rollups/repair.js';
import { createLogger } from '../../platform/logger.js';
import { meterQuery } from '../../subgraphs/usage/meters/query.js';
import { meterMatch, meterStages } from '../../subgraphs/usage/meters/pipeline.js';
import { freshUsages, rollupCost, setIngestionAuthorization, viaInsertMany, viaJobs } from './ingestion.js';

/**
 * Issue 13: the volume scenario. A database of `--volume-usages` usages (1,000,000 by default; see
 * volume-seed.ts) on the default database, read through the real gateway and REST facade (the
 * bundles, as production runs them) and, request for request, with the driver's queries for the same
 * result on the same database. Requests are sent one at a time, ours and the driver's alternating
 * (A B A B ...), so drift touches both alike; p50 and p99 come from those samples. The same page is
 * also read on a database of `--volume-small-usages` (10,000) through a second gateway and subgraphs,
 * in the same alternation, for "the page at 1,000,000 costs at most 2x the page at 10,000".
 */
const tenant = benchCaller.tenant;
const sort = defaultUsageSort as SortSpec;
const alwaysPresent = new Set(['_id', 'creationDate', 'lastUpdate']);
const variants = 50;
const deepOffset = 10_000;
const exportUsages = 100_000;

const namesFields = 'id usageSpecification { name } relatedParty { role party { name } }';
const pageQuery = `query VolumePage($offset: Int, $limit: Int, $filter: ProductUsageFilter, $after: String) {
  productUsages(offset: $offset, limit: $limit, filter: $filter, after: $after) { items { ${namesFields} } nextCursor }
}`;
const countQuery = `query VolumePageCount($offset: Int, $limit: Int) {
  productUsages(offset: $offset, limit: $limit) { totalCount items { ${namesFields} } }
}`;
const byIdQuery = `query VolumeUsage($id: ID!) { productUsage(id: $id) { ${namesFields} usageType status } }`;
const dailyQuery = `query VolumeDaily($application: String!, $kpiName: String!, $from: String!, $to: String!) {
  dailyUsageAggregates(application: $application, kpiName: $kpiName, from: $from, to: $to) { totalCount items { consumer provider period value usagesCount } }
}`;
const kpisQuery = `query VolumeKpis($application: String) { kpis(application: $application) { items { id name } } }`;
const createKpi = `mutation VolumeKpi($input: KpiInput!) { createKpi(input: $input) { id } }`;
const createExport = `mutation VolumeExport($input: ExportJobInput!) { createExportJob(input: $input) { id status } }`;
const exportJobQuery = `query VolumeExportJob($id: ID!) { exportJob(id: $id) { status exportedCount downloadPath errorLog } }`;
const meterQueryText = `query VolumeMeter($input: UsageMeterInput!) { usageMeter(input: $input) { rows { windowStart value groups { value } } } }`;
const deleteExport = `mutation VolumeExportDelete($id: ID!) { deleteExportJob(id: $id) { id } }`;

interface Stack {
  subgraphs: Subgraphs;
  gateway: Child;
}

async function startStack(context: BenchContext, database: string, name: string, children: Child[]): Promise<Stack> {
  const subgraphs = await startSubgraphs({ mongodbUri: context.mongodbUri, database, dataDir: context.config.dataDir });
  children.push(...subgraphs.children);
  const supergraphPath = path.resolve(root, context.config.dataDir, `bench-supergraph-${name}.graphql`);
  writeFileSync(supergraphPath, subgraphs.supergraphSdl);
  const gateway = await startChild({ ...ourGateway(supergraphPath, subgraphs), name: `gateway (${name})` });
  children.push(gateway);
  return { subgraphs, gateway };
}

/**
 * What one crossing of a process boundary costs an answer as JSON, at the least: a stringify on one
 * side and a parse on the other (p50 of 9, in this process). A meter's answer crosses two (usage
 * subgraph to gateway, gateway to client), whatever else the system does per row.
 */
function jsonCrossing(data: unknown): number {
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const start = performance.now();
    JSON.parse(JSON.stringify(data));
    times.push(performance.now() - start);
  }
  return median(times);
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

/**
 * Alternates the actions, one request at a time, for `samples` rounds or until `budgetMs` has gone
 * (at least 10 rounds), after 3 unmeasured rounds. Each action gets the round's number.
 */
async function alternateSamples(actions: ((i: number) => Promise<unknown>)[], samples: number, budgetMs: number): Promise<number[][]> {
  for (let i = 0; i < 3; i++) for (const action of actions) await action(i);
  const times = actions.map((): number[] => []);
  const until = performance.now() + budgetMs;
  for (let i = 0; i < samples && (i < 10 || performance.now() < until); i++) {
    for (const [a, action] of actions.entries()) times[a]!.push(await timed(() => action(i)));
  }
  return times;
}

interface Row {
  name: string;
  target: string;
  ours: number[];
  driver: number[];
  /** Met when ours' p50 is within `limitMs`. */
  limitMs?: number;
  /** A row whose meeting the same target meets this one too (the issue: "offset 10,000 or the equivalent cursor"). */
  orRow?: string;
  note?: string;
}

/** The driver's reading of a page with names: the page, then the specifications and parties by `$in`, in parallel. */
async function rawPage(db: Db, filter: Filter<Document>, options: { skip?: number; limit?: number } = {}): Promise<unknown> {
  const docs = await db
    .collection('productUsages')
    .find({ tenant, ...filter }, { sort, skip: options.skip ?? 0, limit: options.limit ?? 20, projection: { usageSpecification: 1, relatedParty: 1 } })
    .toArray();
  return withNames(db, docs);
}

async function withNames(db: Db, docs: Document[]): Promise<unknown> {
  const specIds = [...new Set(docs.flatMap((d) => (d.usageSpecification ? [(d.usageSpecification as { id: string }).id] : [])))];
  const partyIds = [...new Set(docs.flatMap((d) => (d.relatedParty as { partyOrPartyRole: { id: string } }[]).map((r) => r.partyOrPartyRole.id)))];
  const [specs, parties] = await Promise.all([
    db
      .collection('productUsageSpecifications')
      .find({ tenant, _id: { $in: specIds as never[] } }, { projection: { name: 1 } })
      .toArray(),
    db
      .collection('parties')
      .find({ tenant, _id: { $in: partyIds as never[] } }, { projection: { name: 1 } })
      .toArray(),
  ]);
  return { docs, specs, parties };
}

/** The day groups of the ingested usages in the range, as the usage subgraph's aggregator asks for them (sum and count). */
async function rawDayGroups(usages: Collection, match: Filter<Document>): Promise<unknown> {
  const group = (v: Document) =>
    usages.aggregate([{ $match: { tenant, ...match } }, { $group: { _id: { c: '$ingest.tenant', p: '$ingest.provider', d: '$ingest.day' }, v } }]).toArray();
  return Promise.all([group({ $sum: '$ingest.value' }), group({ $sum: 1 })]);
}

export const volume: Scenario = {
  name: 'volume',
  optIn: true,
  ownData: true,
  async run(context) {
    const { config, log, auth } = context;
    const client = context.db.client;
    const bigName = `${config.database}_volume`;
    const smallName = `${config.database}_volume_small`;
    const big = client.db(bigName);
    const small = client.db(smallName);
    const size = { usages: config.volumeUsages, parties: config.volumeParties, specifications: config.volumeSpecifications };
    const uptimeStart = loadLine();
    log(`volume: seeding "${bigName}" (${size.usages.toLocaleString('en')} usages) unless its marker matches; load ${uptimeStart}`);
    const seedStart = performance.now();
    const bigSeed = await seedVolume(big, size, log);
    const bigSeedWall = (performance.now() - seedStart) / 1000;
    log(
      bigSeed.reused
        ? `volume: "${bigName}" kept (seeded ${bigSeed.seededAt.toISOString()}: insert ${fixed(bigSeed.insertSeconds, 0)} s + indexes ${fixed(bigSeed.indexSeconds, 0)} s)`
        : `volume: "${bigName}" seeded: insert ${fixed(bigSeed.insertSeconds, 0)} s + indexes ${fixed(bigSeed.indexSeconds, 0)} s`,
    );
    const smallSeed = await seedVolume(small, { ...size, usages: config.volumeSmallUsages }, log);
    log(`volume: "${smallName}" (${config.volumeSmallUsages.toLocaleString('en')} usages) ${smallSeed.reused ? 'kept' : 'seeded'}`);
    // The seed (and an earlier run's clean-up) went around the API: the rollups are brought in line as an operator would.
    const rollups = await repairRollups(big, createLogger('warn'));
    await repairRollups(small, createLogger('warn'));
    log(`volume: rollup repair pass marked ${rollups.marked.toLocaleString('en')} bucket(s), recomputed in ${fixed(rollups.seconds, 1)} s`);

    const children: Child[] = [];
    try {
      const stacksStart = performance.now();
      const bigStack = await startStack(context, bigName, 'volume', children);
      const smallStack = await startStack(context, smallName, 'volume-small', children);
      const rest = await startChild({
        name: 'REST facade',
        script: bundleOf('rest'),
        plain: true,
        nodeFlags: [...services.rest.nodeFlags],
        env: { GATEWAY_URL: bigStack.gateway.url, REST_PORT: '0', LOG_LEVEL: 'info', LOG_REQUESTS: 'off' },
        ready: /REST facade ready at (http:\/\/[^\s"]+)/,
      });
      children.push(rest);
      log(`volume: services up in ${fixed((performance.now() - stacksStart) / 1000, 0)} s (subgraph start-ups find the indexes built)`);

      const post = async (url: string, query: string, variables: Record<string, unknown> = {}): Promise<any> => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: auth.authorization },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await response.json()) as { data?: any; errors?: unknown };
        if (response.status !== 200 || body.errors) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(body).slice(0, 400)}`);
        return body.data;
      };
      const get = async (url: string): Promise<unknown> => {
        const response = await fetch(url, { headers: { authorization: auth.authorization } });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${text.slice(0, 400)}`);
        return JSON.parse(text);
      };
      const gql = (query: string, variables: Record<string, unknown> = {}) => post(bigStack.gateway.url, query, variables);
      const usages = big.collection<ProductUsageDocument>('productUsages');
      const tenantUsages = await usages.countDocuments({ tenant });
      const checkPage = (data: any, what: string) => {
        const items = data.productUsages.items as {
          usageSpecification: { name: string | null } | null;
          relatedParty: { party: { name: string | null } | null }[];
        }[];
        if (!items.length) throw new Error(`${what}: no usages`);
        if (items.some((u) => !u.usageSpecification?.name || u.relatedParty.some((r) => !r.party?.name))) throw new Error(`${what}: a name is missing`);
      };
      checkPage(await gql(pageQuery, { limit: 20 }), 'the page');
      checkPage(await post(smallStack.gateway.url, pageQuery, { limit: 20 }), 'the page at 10,000');

      // Variants: 50 of each, taken in turn (no contender gains from a repeated request).
      const parties = (
        await big
          .collection('parties')
          .find({ tenant }, { projection: { _id: 1 }, limit: variants })
          .toArray()
      ).map((p) => String(p._id));
      const specs = (
        await big
          .collection('productUsageSpecifications')
          .find({ tenant, name: { $not: /volume-meter/ } }, { projection: { _id: 1 }, limit: variants })
          .toArray()
      ).map((s) => String(s._id));
      const last = bigSeed.seededAt.getTime();
      const dayStart = (i: number) =>
        new Date(Date.UTC(new Date(last).getUTCFullYear(), new Date(last).getUTCMonth(), new Date(last).getUTCDate()) - (2 + i) * 86_400_000);
      const deepDocs = await usages.find({ tenant }, { sort, skip: deepOffset - 1, limit: variants, projection: { _id: 1, creationDate: 1 } }).toArray();
      const cursors = deepDocs.map((doc) => ({ cursor: cursorOf(doc, sort), values: [doc.creationDate, doc._id] }));
      const ids = deepDocs.map((d) => d._id);
      const v5 = `${rest.url}/tmf-api/productUsageManagement/v5/productUsage`;
      await get(`${v5}?limit=20&after=${cursors[0]!.cursor}`);

      const samples = config.volumeSamples;
      const budget = 20_000;
      const rows: Row[] = [];
      const measure = async (
        row: Omit<Row, 'ours' | 'driver'>,
        ours: (i: number) => Promise<unknown>,
        driver: (i: number) => Promise<unknown>,
        n = samples,
      ) => {
        const [o, d] = await alternateSamples([ours, driver], n, budget);
        rows.push({ ...row, ours: o!, driver: d! });
        log(
          `volume: ${row.name}: ours p50 ${fixed(median(o!), 1)} ms p99 ${fixed(percentile(o!, 99), 1)} ms; driver p50 ${fixed(median(d!), 1)} ms (${o!.length} samples)`,
        );
      };

      // The page, on 1,000,000 and on 10,000, with each one's driver: one alternation of four.
      {
        const [o, o10, d, d10] = await alternateSamples(
          [
            (i) => gql(pageQuery, { offset: i % variants, limit: 20 }),
            (i) => post(smallStack.gateway.url, pageQuery, { offset: i % variants, limit: 20 }),
            (i) => rawPage(big, {}, { skip: i % variants }),
            (i) => rawPage(small, {}, { skip: i % variants }),
          ],
          samples,
          budget * 2,
        );
        rows.push({ name: 'GraphQL page of 20 with specification and party names', target: 'p50 < 50 ms', limitMs: 50, ours: o!, driver: d! });
        rows.push({
          name: `the same page on ${config.volumeSmallUsages.toLocaleString('en')} usages`,
          target: 'for the ratio below',
          ours: o10!,
          driver: d10!,
        });
        log(
          `volume: page p50 ours ${fixed(median(o!), 1)} ms (at 10,000: ${fixed(median(o10!), 1)} ms), driver ${fixed(median(d!), 1)} ms (at 10,000: ${fixed(median(d10!), 1)} ms)`,
        );
      }
      await measure(
        { name: 'the page with `totalCount`', target: 'p50 < 300 ms', limitMs: 300 },
        (i) => gql(countQuery, { offset: i % variants, limit: 20 }),
        (i) => Promise.all([usages.countDocuments({ tenant }), rawPage(big, {}, { skip: i % variants })]),
        Math.min(samples, 30),
      );
      const partyFilter = (i: number) => ({ 'relatedParty.partyOrPartyRole.id': parties[i % parties.length] });
      await measure(
        { name: 'filtered by party (`relatedPartyId`)', target: 'p50 < 30 ms', limitMs: 30 },
        (i) => gql(pageQuery, { limit: 20, filter: { relatedPartyId: [parties[i % parties.length]] } }),
        (i) => rawPage(big, partyFilter(i)),
      );
      await measure(
        { name: 'filtered by specification and status', target: 'p50 < 30 ms', limitMs: 30 },
        (i) => gql(pageQuery, { limit: 20, filter: { usageSpecificationId: [specs[i % specs.length]], status: ['rated'] } }),
        (i) => rawPage(big, { 'usageSpecification.id': specs[i % specs.length], status: 'rated' }),
      );
      await measure(
        { name: 'filtered by one day of `usageDate`', target: 'p50 < 30 ms', limitMs: 30 },
        (i) =>
          gql(pageQuery, {
            limit: 20,
            filter: { usageDate: { gte: dayStart(i % 60).toISOString(), lt: new Date(dayStart(i % 60).getTime() + 86_400_000).toISOString() } },
          }),
        (i) => rawPage(big, { usageDate: { $gte: dayStart(i % 60), $lt: new Date(dayStart(i % 60).getTime() + 86_400_000) } }),
      );
      await measure(
        { name: 'REST v5 `GET /productUsage?limit=20`', target: 'p50 < 80 ms', limitMs: 80 },
        (i) => get(`${v5}?limit=20&offset=${i % variants}`),
        (i) => usages.find({ tenant }, { sort, skip: i % variants, limit: 20 }).toArray(),
      );
      await measure(
        {
          name: `GraphQL page of 20 at offset ${deepOffset.toLocaleString('en')}`,
          target: 'p50 < 100 ms, or the equivalent cursor',
          limitMs: 100,
          orRow: `GraphQL cursor page after usage ${deepOffset.toLocaleString('en')} (\`after: nextCursor\`)`,
        },
        (i) => gql(pageQuery, { offset: deepOffset + (i % variants), limit: 20 }),
        (i) => rawPage(big, {}, { skip: deepOffset + (i % variants) }),
        Math.min(samples, 40),
      );
      const keyset = (i: number) => keysetFilter(sort, { direction: 'after', values: cursors[i % cursors.length]!.values }, alwaysPresent);
      await measure(
        { name: `GraphQL cursor page after usage ${deepOffset.toLocaleString('en')} (\`after: nextCursor\`)`, target: 'p50 < 100 ms', limitMs: 100 },
        (i) => gql(pageQuery, { limit: 20, after: cursors[i % cursors.length]!.cursor }),
        (i) => rawPage(big, keyset(i)),
      );
      await measure(
        { name: `REST v5 cursor page after usage ${deepOffset.toLocaleString('en')} (\`after=\`)`, target: 'p50 < 100 ms', limitMs: 100 },
        (i) => get(`${v5}?limit=20&after=${cursors[i % cursors.length]!.cursor}`),
        (i) => usages.find({ tenant, ...keyset(i) }, { sort, limit: 20 }).toArray(),
      );
      await measure(
        { name: 'usage by id, with names', target: 'p50 < 10 ms', limitMs: 10 },
        (i) => gql(byIdQuery, { id: ids[i % ids.length] }),
        async (i) => withNames(big, [(await usages.findOne({ tenant, _id: ids[i % ids.length]! }))!]),
      );

      // KPI aggregates over the ingested usages: the KPI, once, through the graph.
      const kpis = await gql(kpisQuery, { application: volumeIngest.application });
      if (!(kpis.kpis.items as { name: string }[]).some((k) => k.name === volumeIngest.kpiName)) {
        await gql(createKpi, {
          input: { application: volumeIngest.application, name: volumeIngest.kpiName, unit: volumeIngest.unit, dailyFunction: 'SUM', monthlyFunction: 'SUM' },
        });
      }
      const month = new Date(Date.UTC(new Date(last).getUTCFullYear(), new Date(last).getUTCMonth() - 1, 1));
      const monthKey = month.toISOString().slice(0, 7);
      const from = `${monthKey}-01`;
      const to = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
      const daily = await gql(dailyQuery, { application: volumeIngest.application, kpiName: volumeIngest.kpiName, from, to });
      if (!daily.dailyUsageAggregates.totalCount) throw new Error(`no daily aggregates for ${from}..${to}`);
      await measure(
        { name: `GraphQL \`dailyUsageAggregates\`, ${monthKey} (all consumers, page of 20)`, target: 'p50 < 200 ms', limitMs: 200 },
        () => gql(dailyQuery, { application: volumeIngest.application, kpiName: volumeIngest.kpiName, from, to }),
        () =>
          rawDayGroups(usages as never, {
            'ingest.application': volumeIngest.application,
            'ingest.unit': volumeIngest.unit,
            'ingest.day': { $gte: from, $lte: to },
          }),
        Math.min(samples, 40),
      );
      const { consumers } = await ingestParties(big);
      const uts = `${rest.url}/api/usagetransparency/v3/aggregatedMonthlyConsumerUsage`;
      const [year, monthNumber] = monthKey.split('-');
      await measure(
        { name: `UTS \`aggregatedMonthlyConsumerUsage\`, ${monthKey}, one consumer`, target: 'p50 < 200 ms', limitMs: 200 },
        (i) =>
          get(
            `${uts}?application=${volumeIngest.application}&KPIName=${volumeIngest.kpiName}&year=${year}&month=${Number(monthNumber)}&consumer=${consumers[i % consumers.length]}`,
          ),
        (i) =>
          rawDayGroups(usages as never, {
            'ingest.application': volumeIngest.application,
            'ingest.unit': volumeIngest.unit,
            'ingest.month': monthKey,
            'ingest.tenant': consumers[i % consumers.length],
          }),
        Math.min(samples, 40),
      );

      // Meters (docs/meters.md): SUM of the `volume` characteristic over the last 30 days, by DAY in
      // Asia/Kolkata (+05:30: every day's first hour is cut at :30, and comes from the summaries'
      // quarters) and by HOUR in Europe/Paris, grouped by usage type and status (the summaries'
      // cells); then, for information, by specification and status, which at this seed's 230
      // usages an hour over 100 specifications is close to one cell per usage (docs/meters.md).
      // Each on 1,000,000 and on 10,000 usages in one alternation, with the same aggregation sent by the driver.
      const meterTo = new Date(Date.UTC(new Date(last).getUTCFullYear(), new Date(last).getUTCMonth(), new Date(last).getUTCDate()));
      const meterFrom = new Date(meterTo.getTime() - 30 * 86_400_000);
      const meterFailures: string[] = [];
      const meterAnswers: Figures['meterAnswers'] = [];
      const byTypeAndStatus = [{ dimension: 'USAGE_TYPE' as const }, { dimension: 'STATUS' as const }];
      const bySpecAndStatus = [{ dimension: 'USAGE_SPECIFICATION' as const }, { dimension: 'STATUS' as const }];
      for (const [windowSize, limitMs, timeZone, groupBy, groupNames] of [
        ['DAY', 100, 'Asia/Kolkata', byTypeAndStatus, 'usage type and status'],
        ['HOUR', 200, 'Europe/Paris', byTypeAndStatus, 'usage type and status'],
        ['DAY', undefined, 'Asia/Kolkata', bySpecAndStatus, 'specification and status'],
      ] as const) {
        const input = {
          aggregation: 'SUM' as const,
          value: 'volume',
          from: meterFrom,
          to: meterTo,
          windowSize,
          timeZone,
          groupBy: [...groupBy],
        };
        const variables = { input: { ...input, from: meterFrom.toISOString(), to: meterTo.toISOString() } };
        const query = meterQuery(input);
        const raw = (db: typeof big) => () =>
          db
            .collection('productUsages')
            .aggregate([{ $match: { tenant, deletedAt: { $exists: false }, ...meterMatch(query) } }, ...meterStages(query)])
            .toArray();
        const name = `${limitMs ? '' : 'for information: '}\`usageMeter\` SUM by ${windowSize}, 30 days, ${timeZone}, by ${groupNames}`;
        // One try first: on the big database the meter may run into DB_TIMEOUT_MS, and then the
        // figure is how long the same aggregation takes the driver without that bound.
        let answer: { usageMeter: { rows: unknown[] } } | undefined;
        const tried = await gql(meterQueryText, variables).then(
          (data: { usageMeter: { rows: unknown[] } }) => {
            answer = data;
            return null;
          },
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
        if (tried) {
          const driverMs = await timed(raw(big));
          const [o10, d10] = await alternateSamples([() => post(smallStack.gateway.url, meterQueryText, variables), raw(small)], Math.min(samples, 30), budget);
          meterFailures.push(
            `${name}: ${limitMs ? '**not met**' : 'for information'}, ours failed (${tried.slice(0, 160)}); the driver ran the same aggregation in ${fixed(driverMs / 1000, 1)} s. On ${config.volumeSmallUsages.toLocaleString('en')} usages: ours p50 ${fixed(median(o10!), 1)} ms, driver ${fixed(median(d10!), 1)} ms.`,
          );
          log(`volume: meter by ${windowSize} failed on the big database (${tried.slice(0, 100)}); driver ${fixed(driverMs, 0)} ms`);
          continue;
        }
        const smallAnswer = (await post(smallStack.gateway.url, meterQueryText, variables)) as { usageMeter: { rows: unknown[] } };
        meterAnswers.push({
          name,
          rows: answer!.usageMeter.rows.length,
          smallRows: smallAnswer.usageMeter.rows.length,
          jsonMs: jsonCrossing(answer),
          smallJsonMs: jsonCrossing(smallAnswer),
        });
        const [o, o10, d, d10] = await alternateSamples(
          [() => gql(meterQueryText, variables), () => post(smallStack.gateway.url, meterQueryText, variables), raw(big), raw(small)],
          Math.min(samples, 30),
          budget * 2,
        );
        rows.push({ name, target: limitMs ? `p50 < ${limitMs} ms` : 'for information', limitMs, ours: o!, driver: d! });
        rows.push({
          name: `the same meter on ${config.volumeSmallUsages.toLocaleString('en')} usages`,
          target: limitMs ? '≤ 1.5x of it (below)' : 'for information',
          ours: o10!,
          driver: d10!,
        });
        log(`volume: meter by ${windowSize} p50 ours ${fixed(median(o!), 1)} ms (at 10,000: ${fixed(median(o10!), 1)} ms), driver ${fixed(median(d!), 1)} ms`);
      }

      // Throughput of the page: 10 connections for a run each, ours then the driver (bench/servers/raw-driver.ts).
      const raw = await startChild({
        name: 'raw driver',
        script: 'bench/servers/raw-driver.ts',
        env: { MONGODB_URI: context.mongodbUri, MONGODB_DB: bigName, BENCH_TENANT: tenant },
      });
      children.push(raw);
      // Two connections and 20 s at least: at 1,000,000 a page takes seconds, and ten at once on two cores answer none within a run.
      const load = { connections: 2, duration: Math.max(config.duration, 20), warmup: config.warmup };
      const attempt = async <T>(what: string, action: () => Promise<T>): Promise<T | string> => {
        try {
          return await action();
        } catch (error) {
          log(`volume: ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
          return `failed: ${error instanceof Error ? error.message : String(error)}`;
        }
      };
      const oursLoad = await attempt('the throughput run (ours)', () =>
        runLoad(
          {
            url: bigStack.gateway.url,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: auth.authorization },
            body: JSON.stringify({ query: pageQuery, variables: { offset: 0, limit: 20 } }),
            variants: Array.from({ length: variants }, (_, i) => ({ body: JSON.stringify({ query: pageQuery, variables: { offset: i, limit: 20 } }) })),
            ...load,
          },
          { system: bigStack.gateway.pid, upstream: bigStack.subgraphs.pids },
        ),
      );
      const rawLoad = await attempt('the throughput run (driver)', () =>
        runLoad(
          {
            url: `${raw.url}?limit=20&offset=0`,
            method: 'GET',
            variants: Array.from({ length: variants }, (_, i) => ({ path: `${new URL(raw.url).pathname}?limit=20&offset=${i}` })),
            ...load,
          },
          { system: raw.pid },
        ),
      );
      log(
        `volume: page throughput ours ${typeof oursLoad === 'string' ? oursLoad : fixed(oursLoad.requestsPerSecond)} req/s, driver ${typeof rawLoad === 'string' ? rawLoad : fixed(rawLoad.requestsPerSecond)} req/s`,
      );

      // Export: 100,000 usages (the newest by usageDate) to CSV through an export job, RSS sampled meanwhile.
      const exportCount = Math.min(exportUsages, Math.floor(tenantUsages / 2));
      const boundary = (
        await usages.find({ tenant }, { sort: { usageDate: -1 }, skip: exportCount - 1, limit: 1, projection: { usageDate: 1 } }).toArray()
      )[0]!;
      const exportFilter = { usageDate: { gte: (boundary.usageDate as Date).toISOString() } };
      const exportMatch = { tenant, usageDate: { $gte: boundary.usageDate } };
      const exported = await attempt('the export', () => exportRun(gql, bigStack, config, exportFilter, auth.authorization, log));
      const driverExport = await timed(async () => {
        const lines: string[] = [];
        for await (const doc of usages.find(exportMatch, { sort }).batchSize(1_000)) lines.push(JSON.stringify(usageShape(doc)));
        return usagesToCsv(lines.join('\n'));
      });
      if (typeof exported !== 'string')
        log(`volume: export of ${exported.count} usages ${fixed(exported.ms / 1000, 1)} s (driver ${fixed(driverExport / 1000, 1)} s)`);

      // Ingestion through /usagesJobs against raw insertMany into the same database (bench/scenarios/ingestion.ts).
      // As a tenant of its own: what it stores and removes stays out of the measured tenant's index ranges (bench/auth.ts).
      setIngestionAuthorization(auth.ingestAuthorization);
      const ingestRates = { jobs: [] as number[], raw: [] as number[] };
      let ingestError = '';
      let rollupRates = { without: [] as number[], with: [] as number[] };
      try {
        // First, on the seed as it is: the rollups' part of storing, each round from the same data.
        rollupRates = await rollupCost(big, ingestTenant, freshUsages, 3);
        log(
          `volume: storage with rollups ${rollupRates.with.map((r) => fixed(r, 0)).join(', ')}, without ${rollupRates.without.map((r) => fixed(r, 0)).join(', ')} usages/s`,
        );
        await viaJobs({ restUrl: rest.url }, freshUsages().slice(0, 1));
        for (let round = 0; round < 2; round++) {
          ingestRates.raw.push(await viaInsertMany(big, freshUsages(), ingestTenant));
          ingestRates.jobs.push(await viaJobs({ restUrl: rest.url }, freshUsages()));
          log(`volume: ingestion round ${round + 1}: usagesJobs ${fixed(ingestRates.jobs.at(-1), 0)}, raw ${fixed(ingestRates.raw.at(-1), 0)} usages/s`);
        }
      } catch (error) {
        ingestError = `failed: ${error instanceof Error ? error.message : String(error)}`;
        log(`volume: ingestion ${ingestError}`);
      } finally {
        // The bench's fresh usages (consumers bench-...) go, so the seeded shape stays what its marker says.
        await usages.deleteMany({ tenant: ingestTenant });
        await big
          .collection('benchRawUsages')
          .drop()
          .catch(() => undefined);
      }
      const uptimeEnd = loadLine();
      return {
        title: 'Volume (issue 13)',
        placement: 'top',
        markdown: describe({
          config,
          rows,
          tenantUsages,
          bigSeed,
          bigSeedWall,
          rollups,
          smallSeed,
          oursLoad,
          rawLoad,
          exported,
          driverExport,
          ingestRates,
          ingestError,
          rollupRates,
          meterFailures,
          meterAnswers,
          load,
          uptimeStart,
          uptimeEnd,
          monthKey,
        }),
        summary: rows.map(
          (r) =>
            `${r.name}: p50 ${fixed(median(r.ours), 1)} ms (driver ${fixed(median(r.driver), 1)} ms), ${r.limitMs ? (median(r.ours) < r.limitMs ? 'met' : 'not met') : 'for information'}`,
        ),
      };
    } finally {
      await stopAll(children);
    }
  },
};

function loadLine(): string {
  const [one, five, fifteen] = os.loadavg();
  return `${fixed(one, 2)}, ${fixed(five, 2)}, ${fixed(fifteen, 2)}`;
}

interface Exported {
  ms: number;
  count: number;
  csvBytes: number;
  rss: { gateway: number[]; usage: number[] };
  rssBefore: { gateway: number; usage: number };
}

async function exportRun(
  gql: (query: string, variables?: Record<string, unknown>) => Promise<any>,
  stack: Stack,
  config: BenchConfig,
  filter: Record<string, unknown>,
  authorization: string,
  log: (message: string) => void,
): Promise<Exported> {
  const usagePid = stack.subgraphs.children[0]!.pid;
  const rss = { gateway: [] as number[], usage: [] as number[] };
  const rssBefore = { gateway: rssMiB(stack.gateway.pid) ?? Number.NaN, usage: rssMiB(usagePid) ?? Number.NaN };
  const sampler = setInterval(() => {
    rss.gateway.push(rssMiB(stack.gateway.pid) ?? Number.NaN);
    rss.usage.push(rssMiB(usagePid) ?? Number.NaN);
  }, 250);
  const start = performance.now();
  let id: string | undefined;
  try {
    id = (await gql(createExport, { input: { contentType: 'text/csv', filter } })).createExportJob.id as string;
    let job: { status: string; exportedCount: number; downloadPath: string | null; errorLog: string | null };
    for (;;) {
      job = (await gql(exportJobQuery, { id })).exportJob;
      if (job.status === 'Failed') throw new Error(`the export failed: ${job.errorLog}`);
      if (job.status === 'Succeeded') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const response = await fetch(new URL(job.downloadPath!, stack.gateway.url), { headers: { authorization } });
    if (response.status !== 200) throw new Error(`the download answered ${response.status}`);
    const csv = usagesToCsv(await response.text());
    const ms = performance.now() - start;
    log(`volume: export job ${id}: ${job.exportedCount} usages, CSV ${fixed(csv.length / 2 ** 20, 0)} MiB`);
    void config;
    return { ms, count: job.exportedCount, csvBytes: csv.length, rss, rssBefore };
  } finally {
    clearInterval(sampler);
    if (id) await gql(deleteExport, { id }).catch(() => undefined);
  }
}

interface Figures {
  config: BenchConfig;
  rows: Row[];
  tenantUsages: number;
  bigSeed: VolumeSeedReport;
  bigSeedWall: number;
  rollups: { marked: number; seconds: number };
  smallSeed: VolumeSeedReport;
  oursLoad: MeasuredRun | string;
  rawLoad: MeasuredRun | string;
  exported: Exported | string;
  driverExport: number;
  ingestRates: { jobs: number[]; raw: number[] };
  ingestError: string;
  /** The storage path with the rollups and without them, round by round (ingestion.ts, rollupCost). */
  rollupRates: { without: number[]; with: number[] };
  meterFailures: string[];
  /** Rows of each meter's answer, on the big database and on the small one, and what one JSON crossing of each costs (jsonCrossing). */
  meterAnswers: { name: string; rows: number; smallRows: number; jsonMs: number; smallJsonMs: number }[];
  load: { connections: number; duration: number };
  uptimeStart: string;
  uptimeEnd: string;
  monthKey: string;
}

function describe(f: Figures): string {
  const { config, rows } = f;
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const under = (r: (typeof rows)[number]) => r.limitMs !== undefined && median(r.ours) < r.limitMs;
  const metOr = (r: (typeof rows)[number]) => {
    const other = r.orRow === undefined ? undefined : rows.find((row) => row.name === r.orRow);
    return !under(r) && other && under(other) ? 'met by the cursor page (next row)' : met(under(r));
  };
  const targetRows = rows.map((r) => {
    const ratio = median(r.ours) / median(r.driver);
    return [
      r.name,
      r.target,
      fixed(median(r.ours), 1),
      fixed(percentile(r.ours, 99), 1),
      fixed(median(r.driver), 1),
      fixed(percentile(r.driver, 99), 1),
      `${fixed(ratio, 1)}x`,
      String(r.ours.length),
      r.limitMs === undefined ? '—' : metOr(r),
    ];
  });
  const page = rows[0]!;
  const pageSmall = rows[1]!;
  const scale = median(page.ours) / median(pageSmall.ours);
  const rawRatio = median(page.ours) / median(page.driver);
  const jobsRatio = median(f.ingestRates.jobs.map((rate, i) => rate / f.ingestRates.raw[i]!));
  const rollupRatio = median(f.rollupRates.with.map((rate, i) => rate / f.rollupRates.without[i]!));
  // Seconds a usage the rollups add to storing it, taken off the jobs path's time per usage.
  const addedPerUsage = 1 / median(f.rollupRates.with) - 1 / median(f.rollupRates.without);
  const jobsRollupRatio = 1 - addedPerUsage * median(f.ingestRates.jobs);
  const peak = (values: number[]) => Math.max(...values.filter((v) => !Number.isNaN(v)));
  const ex = f.exported;
  const exportRows =
    typeof ex === 'string'
      ? [['export of 100,000 usages to CSV', '< 30 s', ex, fixed(f.driverExport / 1000, 1), '—', '**not met**']]
      : [
          [
            `export of ${ex.count.toLocaleString('en')} usages to CSV (export job, download through the gateway, CSV as the console makes it)`,
            '< 30 s',
            fixed(ex.ms / 1000, 1),
            fixed(f.driverExport / 1000, 1),
            `${fixed(ex.ms / f.driverExport, 1)}x`,
            met(ex.ms < 30_000),
          ],
        ];
  const rssLine =
    typeof ex === 'string'
      ? 'RSS during the export: no figures (the export failed).'
      : `RSS during the export (sampled every 250 ms): gateway ${fixed(ex.rssBefore.gateway, 0)} MiB before, peak ${fixed(peak(ex.rss.gateway), 0)} MiB; usage subgraph ${fixed(ex.rssBefore.usage, 0)} MiB before, peak ${fixed(peak(ex.rss.usage), 0)} MiB (${ex.rss.gateway.length} samples; CSV ${fixed(ex.csvBytes / 2 ** 20, 0)} MiB, built in the bench process as the console builds it).`;
  const throughput = (run: MeasuredRun | string) =>
    typeof run === 'string' ? run : `${fixed(run.requestsPerSecond, 2)} req/s (p50 ${run.latencyP50} ms, p99 ${run.latencyP99} ms, ${run.requests} requests)`;
  const throughputRatio =
    typeof f.oursLoad === 'string' || typeof f.rawLoad === 'string'
      ? '—'
      : `${fixed(f.oursLoad.requestsPerSecond / f.rawLoad.requestsPerSecond, 2)} of the driver's`;
  const seedLine = f.bigSeed.reused
    ? `kept from an earlier run (its marker matched; that seed took ${fixed(f.bigSeed.insertSeconds, 0)} s of inserts + ${fixed(f.bigSeed.indexSeconds, 0)} s of index builds); checking it took ${fixed(f.bigSeedWall, 1)} s`
    : `seeded in this run: ${fixed(f.bigSeed.insertSeconds, 0)} s of inserts + ${fixed(f.bigSeed.indexSeconds, 0)} s of index builds`;
  return [
    '<!-- volume:start (bench/scenarios/volume.ts writes this section; the rest of the file is the full run) -->',
    '',
    table(
      ['', ''],
      [
        ['date', new Date().toISOString().replace(/\.\d+Z$/, 'Z')],
        ['command', `\`npm run bench -- volume${config.volumeUsages === 1_000_000 ? '' : ` --volume-usages=${config.volumeUsages}`}\``],
        [
          'machine',
          `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node.js ${process.version}`,
        ],
        ['database', 'FerretDB 2.7 on PostgreSQL 18 + DocumentDB (the default, `startDatabase`)'],
        [
          'data',
          `${config.volumeUsages.toLocaleString('en')} usages (${f.tenantUsages.toLocaleString('en')} of the measured tenant), two tenants, each with ${config.volumeParties.toLocaleString('en')} parties and ${config.volumeSpecifications} specifications, ${volumeDays} days of usageDate, one usage in five ingested (\`ingest\` block); ${seedLine}`,
        ],
        [
          'rollups',
          `brought in line with the seed by the repair pass (\`npm run rollups:repair\`): ${f.rollups.marked.toLocaleString('en')} bucket(s) marked and recomputed in ${fixed(f.rollups.seconds, 1)} s`,
        ],
        ['load average (`uptime`)', `${f.uptimeStart} at the start, ${f.uptimeEnd} at the end (2 cores shared with other engineers' tests)`],
      ],
    ),
    '',
    `Each row: requests one at a time, ours and the driver's alternating (A B A B), ${config.volumeSamples} pairs at most (fewer for the slow`,
    'ones, at most 20 s per row), after 3 unmeasured pairs; 50 variants taken in turn (offsets 0-49, 50 parties, 50',
    'specifications, 60 days, 50 cursors, 50 ids). **ours** is the real gateway (bundle, entity cache on) over the three',
    'subgraph bundles, or the REST facade bundle in front of it; **driver** is the driver, in the bench process, with the',
    'queries that give the same result on the same database (the page; then the specifications and parties by `$in`, in',
    'parallel; the count; the two `$group`s of the aggregator). p99 of fewer than 100 samples is the largest or close to it.',
    '',
    table(['request', 'target', 'ours p50 ms', 'ours p99 ms', 'driver p50 ms', 'driver p99 ms', 'ratio (p50)', 'samples', 'verdict'], targetRows),
    '',
    ...(f.meterFailures.length ? [...f.meterFailures.map((line) => `- ${line}`), ''] : []),
    table(
      ['ratio', 'target', 'measured', 'verdict'],
      [
        [
          `the page at ${config.volumeUsages.toLocaleString('en')} / the page at ${config.volumeSmallUsages.toLocaleString('en')} (ours, p50)`,
          '≤ 2x',
          `${fixed(scale, 2)}x`,
          met(scale <= 2),
        ],
        ["the page / the driver's queries for the same page (p50)", '≤ 3x', `${fixed(rawRatio, 2)}x`, met(rawRatio <= 3)],
        ...rows
          .filter((r) => r.name.startsWith('`usageMeter`'))
          .map((r) => {
            const smallRow = rows[rows.indexOf(r) + 1]!;
            const meterScale = median(r.ours) / median(smallRow.ours);
            return [
              `${r.name}: at ${config.volumeUsages.toLocaleString('en')} / at ${config.volumeSmallUsages.toLocaleString('en')} (ours, p50)`,
              '≤ 1.5x',
              `${fixed(meterScale, 2)}x`,
              met(meterScale <= 1.5),
            ];
          }),
        [
          `page throughput, ${f.load.connections} connections, ${f.load.duration} s: ours ${throughput(f.oursLoad)}; the driver's server (bench/servers/raw-driver.ts) ${throughput(f.rawLoad)}`,
          'for information',
          throughputRatio,
          '—',
        ],
        [
          `ingestion through \`/usagesJobs\` (5,000 usages per round, 2 rounds): ${fixed(median(f.ingestRates.jobs), 0)} usages/s; raw \`insertMany\` into the same database ${fixed(median(f.ingestRates.raw), 0)} usages/s`,
          '≥ 0.5x raw',
          f.ingestError || `${fixed(jobsRatio, 2)}x`,
          met(!f.ingestError && jobsRatio >= 0.5),
        ],
        [
          `ingestion with the rollups / without them (issue 17). Measured on the storage path, 5,000 usages per round, ${f.rollupRates.with.length} rounds alternating (bench/scenarios/ingestion.ts, rollupCost): insertMany as ingestion stores them ${fixed(median(f.rollupRates.without), 0)} usages/s; inside the rollup marks and until every bucket they marked is recomputed ${fixed(median(f.rollupRates.with), 0)} usages/s. The \`/usagesJobs\` path above without them is estimated as its time less the time the rollups added per usage there`,
          '≥ 0.8x',
          f.rollupRates.with.length
            ? `storage path ${fixed(rollupRatio, 2)}x; \`/usagesJobs\` ${fixed(jobsRollupRatio, 2)}x (estimated)`
            : f.ingestError || 'not measured',
          f.rollupRates.with.length ? `${met(jobsRollupRatio >= 0.8)} (estimated)` : met(false),
        ],
      ],
    ),
    '',
    table(['export', 'target', 'ours s', 'driver s', 'ratio', 'verdict'], exportRows),
    '',
    rssLine,
    '',
    "**What limits the rows that miss** (the ratio column says where the time goes: near 1x, the database). DocumentDB's",
    'indexes give no order, so a sorted list is a top-N sort of its matches (docs/database.md, "Sorted pages are a top-N',
    'sort"). The unfiltered newest-first page and the cursor pages are read through recency windows (a `creationDate`',
    "range that fills the page, docs/database.md), where the driver's plain sort reads the tenant's 500,000 usages;",
    "`totalCount` and the REST lists' `X-Total-Count` come from the hourly rollups (docs/rollups.md). Offset 10,000 still",
    'sorts the 10,020 newest of the window that holds them, which is why the issue allows the cursor page instead. The',
    'filtered lists use their own index and then sort its matches: the day filter is an index range of about 5,500 usages',
    "(database time: the driver's column), the party filter one of tens, where the gateway's own hops (gateway, usage",
    'subgraph, one fetch of names) decide. The daily aggregates are two `$group`s over a month of one KPI (about 33,000',
    'ingested usages of the tenant). Ingestion through jobs goes through the REST facade, the gateway, the job runner, the',
    "rules, the rollup marks and the events for each job of 200 usages; its ratio moves with the machine's load (0.46x to",
    '0.72x over the runs of 2026-12-02 and 2026-12-03).',
    '',
    '**Meters (issue 17).** The 30-day meters by type and status read the meter summaries (docs/meters.md, "From the',
    'rollups"): 720 documents of packed cells, and for Kolkata the quarters of the 30 hours its days cut; no usage. Their',
    'cost follows the rows of the answer and the cells read, and both grow with the data until every combination of the',
    'dimensions occurs in every hour; at 10,000 usages (about 2 usages an hour per tenant) most hours hold one or two cells,',
    'at 1,000,000 about 30:',
    '',
    ...f.meterAnswers.map((answer) => {
      const { row, smallRow } = meterRows(f, answer.name);
      if (!row || !smallRow)
        return `- ${answer.name}: ${answer.rows.toLocaleString('en')} rows; ${answer.smallRows.toLocaleString('en')} on the small database`;
      const perRow = (ms: number, rows: number) => (rows ? `${fixed((ms * 1000) / rows, 0)} µs a row` : 'no row');
      return `- ${answer.name}: ${answer.rows.toLocaleString('en')} rows (${perRow(median(row.ours), answer.rows)}; one JSON crossing ${fixed(answer.jsonMs, 1)} ms); on ${f.config.volumeSmallUsages.toLocaleString('en')} usages ${answer.smallRows.toLocaleString('en')} rows (${perRow(median(smallRow.ours), answer.smallRows)}; one JSON crossing ${fixed(answer.smallJsonMs, 1)} ms)`;
    }),
    '',
    ...meterFloor(f),
    "The HOUR meter's rows each go through the subgraph's execution (graphql-jit, docs/meters.md), its JSON, the gateway's",
    'parse, projection and JSON again. Measured by hand on the seed of 2026-12-04: the usage subgraph alone answers in about',
    '120 ms (with the bench parsing its 2.4 MB) and the gateway adds about 100 ms, spending about 200 ms of CPU over both',
    'cores, most of it collecting the answer\'s objects, then its parse, projection and JSON (bench/what-moved.md, "The',
    'gateway\'s heap growth"). Grouped by specification and status (for information) an hour has about 200',
    'cells, nearly as many as usages; the 30 cut hours come from the summaries by specification and quarter',
    '(`specQuarters`, docs/meters.md). Before them, on 2026-12-06, they came from the usages: the meter took 7,672 ms',
    "(119.3 ms at 10,000), of which the read of the cut hours' usages was about 7.5 s while the meter's whole range",
    'was sent beside them, 0.5-0.8 s without it.',
    '',
    '<!-- volume:end -->',
  ].join('\n');
}

/** A meter's row and, next to it, the same meter on the small database. */
function meterRows(f: Figures, name: string): { row?: Row; smallRow?: Row } {
  const row = f.rows.find((r) => r.name === name);
  return { row, smallRow: row && f.rows[f.rows.indexOf(row) + 1] };
}

/**
 * What a 1.5x bound between the meter at 1,000,000 and at 10,000 asks of the small one. Say the
 * small meter takes T, of which 2 J is JSON (two crossings of J each), and a crossing of the big
 * one's answer costs J'. Whatever is spent per row beyond JSON costs at least as much at the big
 * answer's rows, and what is not per row at least as much on the bigger database, so the big meter
 * takes at least T + 2 (J' - J): at most 1.5 T only when T ≥ 4 (J' - J).
 */
function meterFloor(f: Figures): string[] {
  const [big, small] = [f.config.volumeUsages, f.config.volumeSmallUsages].map((n) => n.toLocaleString('en'));
  const lines = f.meterAnswers.flatMap((answer) => {
    const { row, smallRow } = meterRows(f, answer.name);
    if (!row?.limitMs || !smallRow) return [];
    const floor = 4 * (answer.jsonMs - answer.smallJsonMs);
    const smallMs = median(smallRow.ours);
    return [
      `- ${answer.name}: the ${small}-usage meter would have to take at least 4 × (${fixed(answer.jsonMs, 1)} − ${fixed(answer.smallJsonMs, 1)}) = ${fixed(floor, 1)} ms; ours takes ${fixed(smallMs, 1)} ms, ${
        smallMs >= floor
          ? 'so the bound leaves room for the rest'
          : `so no such path answering the small meter as fast can be within 1.5x at ${big}: the least ratio one could reach is ${fixed((smallMs + floor / 2) / smallMs, 2)}x`
      }`,
    ];
  });
  if (!lines.length) return [];
  return [
    'What the 1.5x bound asks (bench/scenarios/volume.ts, meterFloor): an answer crosses two process boundaries as JSON',
    '(usage subgraph to gateway, gateway to client), each a stringify and a parse, in any gateway that parses what a',
    'subgraph answers and serializes its own answer, as a federation gateway does, whatever else is done per row. Whatever',
    `else a row costs is at least as much at ${big} usages, so the big meter takes at least the small one plus twice the`,
    'difference of their crossings, and is within 1.5x of it only if the small one takes at least four times that difference:',
    '',
    ...lines,
    '',
  ];
}
