import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startChild, stopAll, type Child } from '../child.js';
import { alternate, comparisonTables, medianRatios, medians, type Comparison, type Contender } from '../compare.js';
import type { BenchConfig } from '../config.js';
import { root } from '../load.js';
import { rssMiB } from '../processes.js';
import type { Scenario, Section } from '../scenario.js';
import { ourGateway, startSubgraphs, type Subgraphs } from '../servers/subgraphs.js';
import { fixed, median, table } from '../stats.js';
import type { MeasuredRun } from '../load.js';
import { seed, type SeedSize } from '../seed.js';
import { profileGateway } from './gateway-profile.js';

/**
 * Issue 7, scenarios 1 and 2: our gateway against the stock Hive Gateway runtime and @apollo/gateway
 * inside @apollo/server, all over the same three subgraph processes, and against the same page read
 * straight from the database with the driver. Every contender runs in its own process, so CPU time
 * and RSS are its own; they alternate (ours, Hive, Apollo, raw, ours, ...).
 */
export const targets = { hive: 1.3, apollo: 1.5, rawFraction: 0.35, rssMiB: 250 };

export const pageQuery = `query BenchGatewayPage($offset: Int, $limit: Int) {
  productUsages(offset: $offset, limit: $limit) { items { id usageSpecification { name } relatedParty { role party { name } } } }
}`;
export const byIdQuery = `query BenchGatewayUsage($id: ID!) {
  productUsage(id: $id) { id usageType status usageSpecification { name } relatedParty { role party { name } } }
}`;
const pageSize = 20;
/** Distinct pages and usages the load takes in turn (see LoadRequest.variants). */
const variantCount = 50;
const cacheOff = 'ours, entity cache off';

const gatewayScripts = [
  { name: 'ours', script: 'gateway/index.ts' },
  { name: 'Hive runtime', script: 'bench/servers/gateway-hive.ts' },
  { name: 'Apollo gateway', script: 'bench/servers/gateway-apollo.ts' },
] as const;

// Every gateway gets the token; only ours checks it (the others sign a fixed caller into subgraph requests).
const graphqlRequest = (url: string, query: string, variables: Record<string, unknown>, authorization: string) => ({
  url,
  method: 'POST' as const,
  headers: { 'content-type': 'application/json', accept: 'application/json', authorization },
  body: JSON.stringify({ query, variables }),
});

type Sent = Contender['request'];

/** The request as its variant `v` would send it. */
function variant(request: Sent, v: number): Sent {
  const chosen = request.variants?.[v];
  if (!chosen) return request;
  return { ...request, url: chosen.path ? new URL(chosen.path, request.url).href : request.url, body: chosen.body ?? request.body };
}

async function fetchBody(request: Sent): Promise<unknown> {
  const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${request.method} ${request.url} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * Every contender must answer the same JSON, field for field, before its speed means anything:
 * checked on the first, a middle and the last variant.
 */
async function checkSameAnswers(contenders: Contender[], what: string, check: (body: unknown) => void): Promise<void> {
  for (const v of [0, Math.floor(variantCount / 2), variantCount - 1]) {
    const bodies = await Promise.all(contenders.map((c) => fetchBody(variant(c.request, v))));
    check(bodies[0]);
    const reference = JSON.stringify(bodies[0]);
    for (const [i, body] of bodies.entries()) {
      if (JSON.stringify(body) !== reference) {
        throw new Error(
          `${contenders[i]!.name} answers ${what} differently from ${contenders[0]!.name}:\n${JSON.stringify(body).slice(0, 400)}\n${reference.slice(0, 400)}`,
        );
      }
    }
  }
}

interface PageBody {
  data?: {
    productUsages: { items: { id: string; usageSpecification: { name: string | null } | null; relatedParty: { party: { name: string | null } | null }[] }[] };
  };
  errors?: unknown;
}

function checkPage(body: unknown): void {
  const items = (body as PageBody).data?.productUsages.items;
  if (!items || (body as PageBody).errors || items.length !== pageSize)
    throw new Error(`the page query did not answer ${pageSize} usages: ${JSON.stringify(body).slice(0, 300)}`);
  if (items.some((u) => !u.usageSpecification?.name || u.relatedParty.length === 0 || u.relatedParty.some((r) => !r.party?.name))) {
    throw new Error('a usage of the page came back without its specification or party names');
  }
}

export const gateways: Scenario = {
  name: 'gateways',
  async run(context) {
    const { config, mongodbUri, databasePid, log } = context;
    const database = `${config.database}_gateways`;
    const size = { usages: config.gatewayUsages, parties: Math.min(config.parties, config.gatewayUsages), specifications: config.specifications };
    const db = context.db.client.db(database);
    await seed(db, size);
    log(`gateway database "${database}": ${size.usages} usages, ${size.parties} parties, ${size.specifications} specifications`);
    let subgraphs: Subgraphs | undefined;
    const children: Child[] = [];
    try {
      subgraphs = await startSubgraphs({ mongodbUri, database, dataDir: config.dataDir });
      const supergraphPath = path.resolve(root, config.dataDir, 'bench-supergraph.graphql');
      writeFileSync(supergraphPath, subgraphs.supergraphSdl);
      for (const gateway of gatewayScripts) {
        children.push(
          await startChild(gateway.name === 'ours' ? ourGateway(supergraphPath, subgraphs) : { ...gateway, env: { BENCH_SUPERGRAPH: supergraphPath } }),
        );
      }
      children.push(await startChild({ name: 'raw driver', script: 'bench/servers/raw-driver.ts', env: { MONGODB_URI: mongodbUri, MONGODB_DB: database } }));
      // Ours without the entity cache, always: what the other levers give without it, and what a
      // workload that names new parties and specifications all the time would see.
      children.push(await startChild({ ...ourGateway(supergraphPath, subgraphs, { ENTITY_CACHE_TTL_SECONDS: '0' }), name: cacheOff }));
      if (config.levers) {
        children.push(await startChild({ ...ourGateway(supergraphPath, subgraphs, { QUERY_PLANNER: 'js' }), name: 'ours, JavaScript planner' }));
        children.push(
          await startChild({
            name: 'Hive + Rust planner',
            script: 'bench/servers/gateway-hive.ts',
            env: { BENCH_SUPERGRAPH: supergraphPath, BENCH_RUST_PLANNER: '1' },
          }),
        );
      }
      const extraChildren = children.slice(gatewayScripts.length + 1);
      log(`subgraphs pids ${subgraphs.pids.join(', ')}; ${children.map((c) => `${c.name} pid ${c.pid} at ${c.url}`).join('; ')}`);
      const upstream = subgraphs.pids;
      const gatewayContenders = (query: string, variables: Record<string, unknown>[]): Contender[] =>
        children.slice(0, gatewayScripts.length).map((child) => ({
          name: child.name,
          request: {
            ...graphqlRequest(child.url, query, variables[0]!, context.auth.authorization),
            variants: variables.map((v) => ({ body: JSON.stringify({ query, variables: v }) })),
          },
          watched: { system: child.pid, upstream, database: databasePid },
        }));
      const raw = children[gatewayScripts.length]!;
      // Distinct pages (overlapping windows: every offset is another query), and as many usages by id.
      const offsets = Array.from({ length: variantCount }, (_, i) => (i * 7) % Math.max(1, size.usages - pageSize + 1));
      const pageContenders = [
        ...gatewayContenders(
          pageQuery,
          offsets.map((offset) => ({ offset, limit: pageSize })),
        ),
        {
          name: 'raw driver',
          request: {
            url: `${raw.url}?limit=${pageSize}&offset=0`,
            method: 'GET' as const,
            variants: offsets.map((offset) => ({ path: `${new URL(raw.url).pathname}?limit=${pageSize}&offset=${offset}` })),
          },
          watched: { system: raw.pid, database: databasePid },
        },
      ];
      // After the raw driver, so the targets' ratios keep their positions (ours 0, Hive 1, Apollo 2, raw 3).
      const extra = (template: Contender): Contender[] =>
        extraChildren.map((child) => ({
          ...template,
          name: child.name,
          request: { ...template.request, url: child.url },
          watched: { ...template.watched, system: child.pid },
        }));
      pageContenders.push(...extra(pageContenders[0]!).filter((c) => c.name === cacheOff));
      await checkSameAnswers(pageContenders, 'the page', checkPage);
      const ids = (
        await db
          .collection('productUsages')
          .find({}, { projection: { _id: 1 }, limit: variantCount })
          .toArray()
      ).map((d) => String(d._id));
      const byIdContenders = gatewayContenders(
        byIdQuery,
        ids.map((id) => ({ id })),
      );
      byIdContenders.push(...extra(byIdContenders[0]!));
      await checkSameAnswers(byIdContenders, 'the usage by id', (body) => {
        if (!(body as { data?: { productUsage?: { id: string } } }).data?.productUsage?.id) throw new Error('a usage by id did not come back');
      });
      log(`all contenders answer the same pages and usages; RSS before load: ${children.map((c) => `${c.name} ${fixed(rssMiB(c.pid), 0)} MiB`).join(', ')}`);
      const page = await alternate(config, pageContenders, log);
      log('measuring the usage by id');
      const byId = await alternate(config, byIdContenders, log);
      const profile =
        config.profile === 'never'
          ? undefined
          : await profileGateway(
              config,
              ourGateway(supergraphPath, subgraphs),
              (url, pid) => ({
                ...byIdContenders[0]!,
                request: { ...byIdContenders[0]!.request, url },
                watched: { ...byIdContenders[0]!.watched, system: pid },
              }),
              log,
            );
      const sections = describe(config, size, page, byId);
      if (profile) {
        sections[0]!.markdown += `\n\n${profile.markdown}`;
        sections[0]!.summary.push(profile.summary);
      }
      return sections;
    } finally {
      await stopAll(children);
      await subgraphs?.stop();
      await db.dropDatabase();
    }
  },
};

const labels = { system: 'gateway', upstream: 'subgraphs' };

function describe(config: BenchConfig, size: SeedSize, page: Comparison, byId: Comparison): Section[] {
  const verdict = (comparison: Comparison) => {
    const ours = medians(comparison.runs[0]!);
    return [1, 2].map((other) => {
      const name = comparison.contenders[other]!.name;
      const target = other === 1 ? targets.hive : targets.apollo;
      const ratio = medianRatios(comparison, other);
      const theirs = medians(comparison.runs[other]!);
      return {
        name,
        target,
        throughput: ratio.throughput,
        capacity: ratio.cpu,
        p99: ratio.latencyP99,
        met: ratio.throughput >= target && ours.latencyP99 <= theirs.latencyP99,
      };
    });
  };
  const ratioRows = (comparison: Comparison, label: string) =>
    verdict(comparison).map((v) => [
      label,
      `ours vs ${v.name}`,
      `${fixed(v.target, 1)}x`,
      `**${fixed(v.throughput, 2)}x**`,
      `${fixed(v.capacity, 2)}x`,
      fixed(v.p99, 2),
      v.met ? 'met' : 'not met',
    ]);
  // Ours with the entity cache off against the same two, for information: the lever it leaves out.
  const cacheOffRows = (comparison: Comparison, label: string) => {
    const off = comparison.contenders.findIndex((c) => c.name === cacheOff);
    if (off < 0) return [];
    return [1, 2].map((other) => {
      const ratio = (pick: (run: MeasuredRun) => number | undefined, invert = false) =>
        median(
          comparison.runs[off]!.map((run, r) => {
            const [mine, theirs] = [pick(run) ?? Number.NaN, pick(comparison.runs[other]![r]!) ?? Number.NaN];
            return invert ? theirs / mine : mine / theirs;
          }),
        );
      return [
        label,
        `${cacheOff} vs ${comparison.contenders[other]!.name}`,
        other === 1 ? `${fixed(targets.hive, 1)}x` : `${fixed(targets.apollo, 1)}x`,
        `${fixed(
          ratio((r) => r.requestsPerSecond),
          2,
        )}x`,
        `${fixed(
          ratio((r) => r.cpu.system, true),
          2,
        )}x`,
        fixed(
          ratio((r) => r.latencyP99, true),
          2,
        ),
        'for information',
      ];
    });
  };
  const rssRows = [page, byId].flatMap((comparison, q) =>
    comparison.contenders.flatMap((c, i) =>
      c.name === 'raw driver' ? [] : [[q ? 'usage by id' : 'page of 20', c.name, fixed(medians(comparison.runs[i]!).rssPeak, 0)]],
    ),
  );
  const ours = medians(page.runs[0]!);
  const rawRatio = medianRatios(page, 3);
  const rawMedians = medians(page.runs[3]!);
  const fraction = rawRatio.throughput;
  const oursRss = Math.max(ours.rssPeak, medians(byId.runs[0]!).rssPeak);
  const gatewaySection: Section = {
    title: 'Gateways (issue 7, scenario 1)',
    markdown: [
      method(config, size),
      '',
      '**Targets** (throughput: medians of the per-round ratios; "gateway capacity" is the inverse ratio of gateway CPU',
      'per request, i.e. what the throughput ratio becomes where the gateway, not the database, is the bottleneck):',
      '',
      table(
        ['query', 'pair', 'target', 'throughput ratio', 'gateway capacity ratio', 'p99 ratio (theirs / ours, above 1: ours better)', 'verdict'],
        [
          ...ratioRows(page, 'page of 20').map(invertP99),
          ...ratioRows(byId, 'usage by id').map(invertP99),
          ...cacheOffRows(page, 'page of 20'),
          ...cacheOffRows(byId, 'usage by id'),
        ],
      ),
      '',
      `Gateway RSS peak under load (median of the rounds; target below ${targets.rssMiB} MiB):`,
      '',
      table(['query', 'gateway', 'RSS peak MiB'], rssRows),
      '',
      '### A page of 20 usages with specification and party names',
      '',
      '```graphql',
      pageQuery,
      '```',
      '',
      comparisonTables(page, labels),
      '',
      '### A single usage by id',
      '',
      '```graphql',
      byIdQuery,
      '```',
      '',
      comparisonTables(byId, labels),
    ].join('\n'),
    summary: [
      ...[page, byId].flatMap((comparison, q) =>
        verdict(comparison).map(
          (v) =>
            `${q ? 'usage by id' : 'page of 20'}: ours/${v.name} throughput ${fixed(v.throughput, 2)}x (target ${v.target}x), gateway capacity ${fixed(v.capacity, 2)}x, ` +
            `p99 ours ${fixed(medians(comparison.runs[0]!).latencyP99, 0)} ms vs ${fixed(medians(comparison.runs[q ? (v.name === 'Hive runtime' ? 1 : 2) : v.name === 'Hive runtime' ? 1 : 2]!).latencyP99, 0)} ms: ${v.met ? 'met' : 'not met'}`,
        ),
      ),
      `our gateway's RSS peak under load ${fixed(oursRss, 0)} MiB (target < ${targets.rssMiB})`,
    ],
  };
  const rawSection: Section = {
    title: 'The limit: the raw driver (issue 7, scenario 2)',
    markdown: [
      "The same page (20 usages, their specifications' and parties' names) read with the MongoDB driver by the three",
      'queries the data needs (the page sorted newest first, then the specifications and the parties by `$in`, in',
      'parallel, each with a projection), served as the same JSON body by a bare `node:http` server in its own process',
      '(`bench/servers/raw-driver.ts`), measured in the same alternation as the gateways above (the "raw driver" rows).',
      '',
      table(
        ['', 'req/s', 'p50 ms', 'p99 ms', 'DB CPU ms/req'],
        [
          ['our gateway', fixed(ours.requestsPerSecond), fixed(ours.latencyP50, 0), fixed(ours.latencyP99, 0), fixed(ours.cpuDatabase)],
          ['raw driver', fixed(rawMedians.requestsPerSecond), fixed(rawMedians.latencyP50, 0), fixed(rawMedians.latencyP99, 0), fixed(rawMedians.cpuDatabase)],
        ],
      ),
      '',
      `**Our gateway's throughput is ${fixed(fraction, 2)} of the raw driver's** (median of the per-round ratios; target at least ${targets.rawFraction}): ` +
        (fraction >= targets.rawFraction ? 'met.' : 'not met.'),
    ].join('\n'),
    summary: [`our gateway's throughput as a fraction of the raw driver's: ${fixed(fraction, 2)} (target >= ${targets.rawFraction})`],
  };
  return [gatewaySection, rawSection];
}

/** The p99 column of the targets table reads "theirs / ours", so above 1 is good for ours. */
function invertP99(row: string[]): string[] {
  const value = Number(row[5]);
  return [...row.slice(0, 5), Number.isNaN(value) ? row[5]! : fixed(1 / value, 2), row[6]!];
}

function method(config: BenchConfig, size: SeedSize): string {
  return [
    `This scenario reads a database of its own: ${size.usages} usages over ${size.parties} parties and ${size.specifications} specifications, of the`,
    "same shapes as the main seed. The gateways' work for a page of 20 does not depend on how many usages the",
    "collection holds, but the embedded FerretDB's does: it pushes down no sort and no `$in`, so every page and every",
    'entity fetch scans the whole collection (see "Data set" at the top), and on the main seed every contender would',
    'only measure that scan. Even here the database dominates; the gateway CPU columns isolate the gateways.',
    '',
    'Three gateways over the same three subgraph processes (`npm run subgraph:<name>`: the bundles of `npm run build`',
    'under plain `node`), with the same supergraph (composed from the running subgraphs by `gateway/compose.ts`), each in',
    'its own process: **ours** (what `npm run gateway` runs: `gateway/index.ts` built, with `SUPERGRAPH_PATH`; its defaults, that',
    'is the Rust query planner and the entity cache on, and the per-tenant rate limit off since one tenant sends all the load),',
    'the **Hive runtime** (`createGatewayRuntime` from `@graphql-hive/gateway-runtime` with nothing but the supergraph, on',
    '`node:http`) and the **Apollo gateway** (`@apollo/gateway` `ApolloGateway` inside `@apollo/server` `startStandaloneServer`).',
    '**ours, entity cache off** is ours with `ENTITY_CACHE_TTL_SECONDS=0`: the load takes 50 pages (or usages) in turn that',
    'name the same parties and specifications again, so once warm ours fetches no party or specification at all, as it',
    'would for any customer base that is read more often than it changes; the cache-off rows are what ours does when every',
    'party and specification is new to it. Before measuring, the bench checks that all of them (and the raw driver) answer the same JSON body. ' +
      `${config.connections} connections; every contender first gets one unmeasured run; then per run a ${config.warmup} s warm-up, a pause until every process is idle again,`,
    `then ${config.duration} s measured; the contenders alternate over ${config.rounds} rounds. CPU per request is each process's`,
    'user + system time during the measured part (from /proc) divided by the requests answered: the gateway, the three',
    "subgraphs together, and the embedded FerretDB. RSS is the gateway process's, sampled every 250 ms.",
  ].join('\n');
}
