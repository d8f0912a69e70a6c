import { print } from 'graphql';
import { productUsageV5Catalogue } from '../../rest-adapter/catalogues.js';
import { RestListProductUsagesDocument } from '../../rest-adapter/operations/generated.js';
import { graphListArguments } from '../../rest-adapter/routes/graph-query.js';
import { v5Base } from '../../rest-adapter/routes/product-usage-v5.js';
import { parseListQuery } from '../../rest-adapter/tmf-query.js';
import { loadConfig } from '../../platform/config.js';
import { alternate, comparisonTables, medianRatios, medians, type Comparison, type Contender } from '../compare.js';
import type { BenchConfig } from '../config.js';
import type { Watched } from '../load.js';
import type { Scenario } from '../scenario.js';
import { fixed } from '../stats.js';
import { seed } from '../seed.js';
import { startSystemProcess, type SystemProcess } from '../system-process.js';
import { profileContenders, profileUsages } from './rest-profile.js';

/** Issue 3's target: a REST list costs at most this much more than the GraphQL query behind it. */
export const target = 1.3;

/**
 * The GraphQL contender sends byte for byte what the adapter sends for `?limit=N`: the same printed
 * operation, the same variables (built by the adapter's own translator) and the same headers.
 */
export function contenders(gatewayUrl: string, restUrl: string, pageSize: number, watched: Watched, authorization: string): Contender[] {
  const params = new URLSearchParams({ limit: String(pageSize) });
  const variables = graphListArguments(parseListQuery(params, productUsageV5Catalogue, loadConfig().paging));
  return [
    {
      name: 'GraphQL',
      request: {
        url: gatewayUrl,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization },
        body: JSON.stringify({ query: print(RestListProductUsagesDocument), variables }),
      },
      watched,
    },
    { name: 'REST', request: { url: `${restUrl}${v5Base}/productUsage?${params}`, method: 'GET', headers: { authorization } }, watched },
  ];
}

/** Both contenders must answer the same page before their speed means anything. */
async function checkSamePage([graph, rest]: Contender[], pageSize: number, total: number): Promise<void> {
  const g = (await (await fetch(graph!.request.url, { method: 'POST', headers: graph!.request.headers, body: graph!.request.body })).json()) as {
    data?: { productUsages: { totalCount: number; items: { id: string }[] } };
  };
  const response = await fetch(rest!.request.url, { headers: rest!.request.headers });
  const r = (await response.json()) as { id: string }[];
  const graphIds = g.data?.productUsages.items.map((u) => u.id) ?? [];
  const same = graphIds.length === pageSize && r.length === pageSize && graphIds.every((id, i) => r[i]?.id === id);
  if (!same || g.data?.productUsages.totalCount !== total || response.headers.get('x-total-count') !== String(total)) {
    throw new Error(`REST and GraphQL do not answer the same page of ${pageSize} out of ${total} usages`);
  }
}

export const restOverGraphql: Scenario = {
  name: 'REST over GraphQL',
  async run({ config, mongodbUri, db, pagesDatabase, databasePid, auth, log }) {
    const system = await startSystemProcess({ mongodbUri, database: pagesDatabase, dataDir: config.dataDir });
    let comparison: Comparison;
    try {
      log(`system under test: pid ${system.pid}, gateway ${system.gatewayUrl}, REST ${system.restUrl}`);
      const sides = contenders(system.gatewayUrl, system.restUrl, config.pageSize, { system: system.pid, database: databasePid }, auth.authorization);
      await checkSamePage(sides, config.pageSize, config.pageUsages);
      comparison = await alternate(config, sides, log);
    } finally {
      await system.stop();
    }
    const ratio = medianRatios(comparison, 1);
    const over = (['latencyP50', 'throughput', 'cpu'] as const).filter((key) => ratio[key] > target);
    const profiled = config.profile === 'always' || (config.profile === 'auto' && over.length > 0);
    let profile;
    if (profiled) {
      const database = `${config.database}_profile`;
      await seed(db.client.db(database), { ...config, usages: Math.max(profileUsages, config.pageSize) });
      const sidesOf = (s: SystemProcess) => contenders(s.gatewayUrl, s.restUrl, config.pageSize, { system: s.pid, database: databasePid }, auth.authorization);
      profile = await profileContenders(config, mongodbUri, database, 2, sidesOf, log);
      await db.client.db(database).dropDatabase();
    }
    const [graph, rest] = [medians(comparison.runs[0]!), medians(comparison.runs[1]!)];
    const verdict = over.length ? `above the ${target}x target (${over.join(', ')})` : `within the ${target}x target`;
    return {
      title: 'REST over GraphQL (issue 3)',
      markdown: [method(config), '', comparisonTables(comparison), '', meaning(comparison, verdict), ...(profile ? ['', profile.markdown] : [])].join('\n'),
      summary: [
        ...(['GraphQL', 'REST'] as const).map((name, c) => {
          const m = [graph, rest][c]!;
          return `${name.padEnd(8)}${fixed(m.requestsPerSecond)} req/s, p50 ${fixed(m.latencyP50, 0)} ms, p99 ${fixed(m.latencyP99, 0)} ms, CPU/request system ${fixed(m.cpuSystem)} ms, database ${fixed(m.cpuDatabase)} ms, RSS peak ${fixed(m.rssPeak, 0)} MiB (medians)`;
        }),
        `REST/GraphQL medians: p50 ${fixed(ratio.latencyP50, 2)}x, p99 ${fixed(ratio.latencyP99, 2)}x, throughput ${fixed(ratio.throughput, 2)}x, system CPU per request ${fixed(ratio.cpu, 2)}x: ${verdict}`,
        ...(profile?.summary ?? []),
      ],
    };
  },
};

function method(config: BenchConfig): string {
  return [
    `A page of ${config.pageSize} usages as \`GET ${v5Base}/productUsage?limit=${config.pageSize}\` (REST) and as the`,
    'named operation `RestListProductUsages` the adapter sends for it, POSTed straight to the gateway (GraphQL), with the',
    `same variables and headers. ${config.connections} connections; per run a ${config.warmup} s warm-up, a pause until the system and the`,
    `database are idle again, then ${config.duration} s measured; GraphQL, REST, GraphQL, REST ... over ${config.rounds} rounds. The system`,
    'runs as `scripts/start.ts` (what `npm start` runs) in its own process; autocannon runs in another. CPU per request is',
    'the user + system CPU time each process used during the measured part (from /proc) divided by the requests answered:',
    '"system" is the Node process (gateway, subgraphs, REST facade), "DB" the embedded FerretDB. RSS is the system',
    "process's, sampled every 250 ms during the measured part.",
  ].join('\n');
}

function meaning(comparison: Comparison, verdict: string): string {
  const ratio = medianRatios(comparison, 1);
  const [graph, rest] = [medians(comparison.runs[0]!), medians(comparison.runs[1]!)];
  const databaseBound = graph.cpuDatabase > graph.cpuSystem;
  return [
    `**What this means.** REST answers in ${fixed(rest.latencyP50, 0)} ms at the median against ${fixed(graph.latencyP50, 0)} ms for the`,
    `GraphQL query (p50 ratio ${fixed(ratio.latencyP50, 2)}) and serves ${fixed(rest.requestsPerSecond)} against ${fixed(graph.requestsPerSecond)} req/s`,
    `(throughput ratio ${fixed(ratio.throughput, 2)}); the Node process spends ${fixed(rest.cpuSystem)} ms of CPU per REST request against`,
    `${fixed(graph.cpuSystem)} ms per GraphQL request (ratio ${fixed(ratio.cpu, 2)}): ${verdict}.`,
    databaseBound
      ? `Here the database dominates: it spends ${fixed(graph.cpuDatabase, 0)} ms of CPU per request against ${fixed(graph.cpuSystem)} ms in Node, ` +
        'so latency and throughput measure the database, and both contenders wait on it alike. The CPU ratio is the ' +
        'figure that isolates the facade: it is what the throughput ratio becomes once the database stops being the ' +
        'bottleneck (MongoDB with its indexes), because every REST request is the same GraphQL request plus a second HTTP ' +
        "hop, a JSON parse of the gateway's answer, the TMF mapping and a second serialisation, on the same cores."
      : 'Node is the bottleneck here, so the throughput ratio and the CPU ratio both measure what the facade adds: a ' +
        "second HTTP hop, a JSON parse of the gateway's answer, the TMF mapping and a second serialisation.",
  ].join('\n');
}
