import { bundleOf, services } from '../../scripts/build.js';
import { startChild, stopAll, type Child, type ChildOptions } from '../child.js';
import { loadSupergraph } from '../../gateway/supergraph.js';
import { subgraphNames, type SubgraphName } from '../../platform/subgraphs.js';

/** The three subgraphs as `npm run subgraph:<name>` runs them: each its own process, all on one database. */
export interface Subgraphs {
  children: Child[];
  pids: number[];
  urls: Record<SubgraphName, string>;
  /** Composed from what the running subgraphs report, exactly as our gateway does at start-up. */
  supergraphSdl: string;
  stop(): Promise<void>;
}

export async function startSubgraphs(options: { mongodbUri: string; database: string; dataDir: string }): Promise<Subgraphs> {
  // One after the other: on a fresh database two subgraphs creating the same indexes at once (the
  // usage subgraph opens the specification repository too) race in FerretDB and one start-up fails.
  const started: PromiseSettledResult<Child>[] = [];
  for (const name of subgraphNames) {
    started.push(
      ...(await Promise.allSettled([
        startChild({
          name: `${name} subgraph`,
          // What `npm run subgraph:<name>` runs: the bundle scripts/build.ts made (run.ts builds first).
          script: bundleOf(`subgraph-${name}`),
          plain: true,
          nodeFlags: [...services[`subgraph-${name}`].nodeFlags],
          env: {
            MONGODB_URI: options.mongodbUri,
            MONGODB_DB: options.database,
            DATA_DIR: options.dataDir,
            [`${name.toUpperCase()}_PORT`]: '0',
            // The ready line is logged at info; request lines are not (the observability scenario measures them).
            LOG_LEVEL: 'info',
            LOG_REQUESTS: 'off',
          },
          ready: /subgraph ready at (http:\/\/[^\s"]+)/,
        }),
      ])),
    );
    if (started.at(-1)!.status === 'rejected') break;
  }
  const children = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stopAll(children);
    throw failed.reason;
  }
  const urls = Object.fromEntries(subgraphNames.map((name, i) => [name, children[i]!.url])) as Subgraphs['urls'];
  // Subgraphs give their SDL only to a request signed with the internal secret, as our gateway signs it.
  const supergraphSdl = await loadSupergraph({
    subgraphs: subgraphNames.map((name) => ({ name, url: urls[name] })),
    internalSecret: process.env.INTERNAL_AUTH_SECRET!,
  }).catch(async (error: unknown) => {
    await stopAll(children);
    throw error;
  });
  return {
    children,
    pids: children.map((c) => c.pid),
    urls,
    supergraphSdl,
    stop: () => stopAll(children),
  };
}

/** Our gateway as `npm run gateway` runs it in production: the built gateway/index.ts over a supergraph file. */
export function ourGateway(supergraphPath: string, subgraphs: Subgraphs, extraEnv: Record<string, string> = {}): ChildOptions {
  return {
    name: 'ours',
    // What `npm run gateway` runs: the bundle of gateway/index.ts under plain node.
    script: bundleOf('gateway'),
    plain: true,
    nodeFlags: [...services.gateway.nodeFlags],
    env: {
      SUPERGRAPH_PATH: supergraphPath,
      GATEWAY_PORT: '0',
      // USAGE_URL, SPECIFICATION_URL, PARTY_URL (platform/config.ts)
      ...Object.fromEntries(subgraphNames.map((name) => [`${name.toUpperCase()}_URL`, subgraphs.urls[name]])),
      // The ready line is logged at info; request lines are not: the other gateways write none (the
      // observability scenario measures what they, metrics and traces cost).
      LOG_LEVEL: 'info',
      LOG_REQUESTS: 'off',
      // One tenant sends all the load: the per-tenant limit (200/s by default) would answer 429s
      // instead of measuring the gateway. The other gateways have no limiter at all.
      RATE_LIMIT_PER_SECOND: '0',
      ...extraEnv,
    },
    ready: /gateway ready at (http:\/\/[^\s"]+)/,
  };
}
