import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startChild, stopAll, type Child } from '../child.js';
import { alternate, comparisonTables, medianRatios, medians, type Contender } from '../compare.js';
import { root } from '../load.js';
import type { Scenario } from '../scenario.js';
import { ourGateway, startSubgraphs, type Subgraphs } from '../servers/subgraphs.js';
import { fixed, table } from '../stats.js';
import { pageQuery } from './gateways.js';

/** The bounds: what metrics, traces and request logs may cost the gateway. */
const targets = { throughput: 0.1, p99: 0.15 };
const pageSize = 20;
const variantCount = 50;

/** An OTLP/HTTP receiver that takes every export and keeps only how many requests and bytes came. */
async function otlpSink(): Promise<{ server: Server; url: string; received: { requests: number; bytes: number } }> {
  const received = { requests: 0, bytes: 0 };
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (received.bytes += chunk.length));
    request.on('end', () => {
      received.requests++;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/**
 * The cost of seeing inside (docs/observability.md): our gateway with metrics, request log lines
 * and traces exported over OTLP to a receiver in the bench process, against the same gateway with
 * all three off (METRICS=off, LOG_REQUESTS=off, no OTEL endpoint), over the same subgraph
 * processes, in the same run, A B A B. The load is the gateways scenario's page of 20 usages with
 * their names.
 */
export const observability: Scenario = {
  name: 'observability',
  // Its own section at the top of RESULTS.md, so a run of it alone keeps the full run's figures.
  async run(context) {
    const { config, mongodbUri, databasePid, log } = context;
    const sink = await otlpSink();
    let subgraphs: Subgraphs | undefined;
    const children: Child[] = [];
    try {
      subgraphs = await startSubgraphs({ mongodbUri, database: context.pagesDatabase, dataDir: config.dataDir });
      const supergraphPath = path.resolve(root, config.dataDir, 'bench-observability-supergraph.graphql');
      writeFileSync(supergraphPath, subgraphs.supergraphSdl);
      const off = { METRICS: 'off', LOG_REQUESTS: 'off' };
      const on = { METRICS: 'on', LOG_REQUESTS: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: '1000' };
      children.push(await startChild({ ...ourGateway(supergraphPath, subgraphs, off), name: 'observability off' }));
      children.push(await startChild({ ...ourGateway(supergraphPath, subgraphs, on), name: 'metrics, logs and traces on' }));
      const offsets = Array.from({ length: variantCount }, (_, i) => i * 7);
      const contenders: Contender[] = children.map((child) => ({
        name: child.name,
        request: {
          url: child.url,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', authorization: context.auth.authorization },
          body: JSON.stringify({ query: pageQuery, variables: { offset: 0, limit: pageSize } }),
          variants: offsets.map((offset) => ({ body: JSON.stringify({ query: pageQuery, variables: { offset, limit: pageSize } }) })),
        },
        watched: { system: child.pid, upstream: subgraphs!.pids, database: databasePid },
      }));
      const comparison = await alternate(config, contenders, log);
      const ratio = medianRatios(comparison, 1);
      const [offRuns, onRuns] = [medians(comparison.runs[0]!), medians(comparison.runs[1]!)];
      const throughputCost = 1 - onRuns.requestsPerSecond / offRuns.requestsPerSecond;
      const p99Cost = onRuns.latencyP99 / offRuns.latencyP99 - 1;
      const verdict = (cost: number, bound: number) => (cost <= bound ? 'met' : '**not met**');
      const rows = [
        [
          'gateway throughput, on against off (median of the rounds)',
          `cost ≤ ${targets.throughput * 100} %`,
          `${fixed(throughputCost * 100, 1)} %`,
          verdict(throughputCost, targets.throughput),
        ],
        ['gateway p99, on against off', `cost ≤ ${targets.p99 * 100} %`, `${fixed(p99Cost * 100, 1)} %`, verdict(p99Cost, targets.p99)],
        ['gateway CPU per request, on against off (median ratio of the rounds)', 'for information', `${fixed(ratio.cpu, 2)}x`, '—'],
      ];
      log(
        `observability: throughput cost ${fixed(throughputCost * 100, 1)} %, p99 cost ${fixed(p99Cost * 100, 1)} %; OTLP receiver got ${sink.received.requests} exports`,
      );
      return {
        title: 'Observability: what metrics, logs and traces cost the gateway',
        placement: 'top',
        markdown: [
          '<!-- observability:start (bench/scenarios/observability.ts writes this section) -->',
          '',
          `Our gateway (bundle) with metrics, request log lines (JSON, to the bench's pipe) and traces exported over OTLP/HTTP to a receiver in the bench process, against the same gateway with all three off, over the same three subgraph processes (\`${context.pagesDatabase}\`), alternating A B A B: ${config.rounds} rounds of ${config.duration} s at ${config.connections} connections, a page of ${pageSize} usages with specification and party names, ${variantCount} offsets in turn. The receiver took ${sink.received.requests} exports (${fixed(sink.received.bytes / 2 ** 20, 1)} MiB).`,
          '',
          table(['measure', 'target', 'measured', 'verdict'], rows),
          '',
          comparisonTables(comparison, { system: 'gateway', upstream: 'subgraphs' }),
          '',
          `**What this means.** The gateway is not what limits this load: the subgraphs and the database are (their CPU per request is about the gateway's, and the database's more). The cost shows in the gateway's own CPU per request (${fixed(ratio.cpu, 2)}x) rather than in throughput; p99 carries it too.`,
          '',
          '<!-- observability:end -->',
        ].join('\n'),
        summary: [`observability on against off: throughput cost ${fixed(throughputCost * 100, 1)} % (≤ 10 %), p99 cost ${fixed(p99Cost * 100, 1)} % (≤ 15 %)`],
      };
    } finally {
      await stopAll(children);
      await subgraphs?.stop();
      await new Promise((resolve) => sink.server.close(resolve));
    }
  },
};
