import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChild, stopAll, type Child } from '../child.js';
import { alternate, medians, type Comparison, type Contender } from '../compare.js';
import type { BenchConfig } from '../config.js';
import { root, type MeasuredRun } from '../load.js';
import type { Scenario } from '../scenario.js';
import { seed, type SeedSize } from '../seed.js';
import { ourGateway, startSubgraphs, type Subgraphs } from '../servers/subgraphs.js';
import { bold, fixed, median, table } from '../stats.js';
import { pageQuery } from './gateways.js';

/**
 * Issue 18, "Scale out": the throughput of two gateway processes over the same three subgraph
 * processes against one, in the same run, alternating (one, two, one, two ...). The same total
 * connections go to the one gateway or, split evenly, to the two, from one load process
 * (LoadRequest.urls). Two requests: `{ __typename }`, which the gateway answers without asking a
 * subgraph, so the gateway is the bottleneck; and the gateways scenario's page of 20 usages with
 * names, for reference, where the subgraphs and the database are.
 */
const target = 1.6;
const pageSize = 20;
const variantCount = 50;
const groupNames = ['gateway 1', 'gateway 2', 'subgraphs', 'database', 'load generator'] as const;

/** The gateway runs it all (HTTP, token, limits, parse, validate, plan, execute); no subgraph is asked. */
const typenameQuery = (v: number) => `query BenchScalingTypename { v${v}: __typename }`;

interface Kind {
  label: string;
  /** The operation, as the section prints it. */
  shown: string;
  bodies: string[];
  check(body: unknown): void;
}

const kinds = (usages: number): Kind[] => [
  {
    label: '`{ __typename }` (gateway only)',
    shown: typenameQuery(0),
    bodies: Array.from({ length: variantCount }, (_, v) => JSON.stringify({ query: typenameQuery(v) })),
    check(body) {
      if ((body as { data?: Record<string, unknown> }).data?.v0 !== 'Query') throw new Error(`{ __typename } answered ${JSON.stringify(body)}`);
    },
  },
  {
    label: 'page of 20 usages with names',
    shown: pageQuery,
    bodies: Array.from({ length: variantCount }, (_, v) =>
      JSON.stringify({ query: pageQuery, variables: { offset: (v * 7) % Math.max(1, usages - pageSize + 1), limit: pageSize } }),
    ),
    check(body) {
      const items = (body as { data?: { productUsages?: { items?: unknown[] } } }).data?.productUsages?.items;
      if (items?.length !== pageSize) throw new Error(`the page answered ${JSON.stringify(body).slice(0, 300)}`);
    },
  },
];

/** Processes whose command line names vitest: other work on the machine, which the section reports. */
function vitestProcesses(): number {
  let count = 0;
  for (const entry of readdirSync('/proc', { withFileTypes: true })) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if (readFileSync(`/proc/${entry.name}/cmdline`, 'utf8').includes('vitest')) count++;
    } catch {
      // gone since the listing
    }
  }
  return count;
}

export const scaling: Scenario = {
  name: 'scaling',
  optIn: true,
  ownData: true,
  async run(context) {
    const { config, mongodbUri, databasePid, log } = context;
    const database = `${config.database}_scaling`;
    const size: SeedSize = { usages: config.gatewayUsages, parties: Math.min(config.parties, config.gatewayUsages), specifications: config.specifications };
    const db = context.db.client.db(database);
    await seed(db, size);
    log(`scaling database "${database}": ${size.usages} usages`);
    const before = { load: os.loadavg()[0]!, vitest: vitestProcesses() };
    let subgraphs: Subgraphs | undefined;
    const gateways: Child[] = [];
    try {
      subgraphs = await startSubgraphs({ mongodbUri, database, dataDir: config.dataDir });
      const supergraphPath = path.resolve(root, config.dataDir, 'bench-scaling-supergraph.graphql');
      writeFileSync(supergraphPath, subgraphs.supergraphSdl);
      for (const name of ['gateway 1', 'gateway 2']) {
        gateways.push(await startChild({ ...ourGateway(supergraphPath, subgraphs, { RATE_LIMIT_PER_SECOND: '0' }), name }));
      }
      // Even, so that the two gateways get the same share.
      const connections = config.connections + (config.connections % 2);
      const watched = {
        groups: {
          'gateway 1': [gateways[0]!.pid],
          'gateway 2': [gateways[1]!.pid],
          subgraphs: subgraphs.pids,
          ...(databasePid === undefined ? {} : { database: [databasePid] }),
        },
      };
      const results: { kind: Kind; comparison: Comparison }[] = [];
      for (const kind of kinds(size.usages)) {
        const request = (urls: string[]): Contender['request'] => ({
          url: urls[0]!,
          urls,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', authorization: context.auth.authorization },
          body: kind.bodies[0]!,
          variants: kind.bodies.map((body) => ({ body })),
        });
        const contenders: Contender[] = [
          { name: 'one gateway', request: request([gateways[0]!.url]), watched },
          { name: 'two gateways', request: request(gateways.map((g) => g.url)), watched },
        ];
        await checkSameAnswers(gateways, request([]), kind);
        log(`scaling: ${kind.label}, ${connections} connections to one gateway or ${connections / 2} to each of two`);
        results.push({ kind, comparison: await alternate({ ...config, connections }, contenders, log) });
      }
      const after = { load: os.loadavg()[0]!, vitest: vitestProcesses() };
      return describe(config, size, connections, results, before, after);
    } finally {
      await stopAll(gateways);
      await subgraphs?.stop();
      await db.dropDatabase();
    }
  },
};

/** Both gateways must answer the first, a middle and the last variant with the same body, and a right one. */
async function checkSameAnswers(gateways: Child[], request: Contender['request'], kind: Kind): Promise<void> {
  for (const body of [kind.bodies[0]!, kind.bodies[variantCount / 2]!, kind.bodies.at(-1)!]) {
    const answers = await Promise.all(
      gateways.map(async (gateway) => {
        const response = await fetch(gateway.url, { method: 'POST', headers: request.headers, body });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`${gateway.name} answered ${response.status}: ${text.slice(0, 300)}`);
        return text;
      }),
    );
    if (body === kind.bodies[0]) kind.check(JSON.parse(answers[0]!));
    if (answers.some((a) => a !== answers[0])) throw new Error(`the two gateways answer ${kind.label} differently`);
  }
}

const percent = (cores: number | undefined) => fixed(cores === undefined ? undefined : cores * 100, 0);
const coresOf = (run: MeasuredRun, name: string) => run.cores[name];
/** What the watched processes did not use of what the machine used: the bench process and other work. */
const rest = (run: MeasuredRun) =>
  // Clamped: the machine's and the processes' ticks (10 ms each) are read a moment apart.
  run.cores.machine === undefined ? undefined : Math.max(0, run.cores.machine - groupNames.reduce((sum, name) => sum + (run.cores[name] ?? 0), 0));
/** CPU ms per request of the groups that serve it and of the load generator. */
const msPerRequest = (run: MeasuredRun, names: readonly string[]) =>
  (names.reduce((sum, name) => sum + (run.cores[name] ?? 0), 0) * 1000) / run.requestsPerSecond;

interface Figures {
  ratios: number[];
  ratio: number;
  one: ReturnType<typeof medians>;
  two: ReturnType<typeof medians>;
  /** What two gateways could reach on this machine at the measured CPU per request, against one. */
  ceiling: number;
  /** The same with the load generator on another machine. */
  ceilingWithoutLoad: number;
  /** Cores of the one gateway in the one-gateway runs. */
  oneGatewayCores: number;
  /** Cores of the load generator in the one-gateway runs. */
  oneLoadCores: number;
  /** Cores the rest of the machine took in the two-gateway runs. */
  restTwo: number;
  gatewayMsOne: number;
  gatewayMsTwo: number;
  loadMsTwo: number;
}

function figures(comparison: Comparison): Figures {
  const [oneRuns, twoRuns] = [comparison.runs[0]!, comparison.runs[1]!];
  const ratios = oneRuns.map((one, r) => twoRuns[r]!.requestsPerSecond / one.requestsPerSecond);
  const all = ['gateway 1', 'gateway 2', 'subgraphs', 'database', 'load generator'];
  const served = ['gateway 1', 'gateway 2', 'subgraphs', 'database'];
  const one = medians(oneRuns);
  // Two cores, less what the rest of the machine took during the two-gateway runs, divided by what a
  // request costs all the processes it needs: the most two gateways could answer here.
  const free = median(twoRuns.map((run) => 2 - (rest(run) ?? 0)));
  const ceiling = free / (median(twoRuns.map((run) => msPerRequest(run, all))) / 1000) / one.requestsPerSecond;
  const ceilingWithoutLoad = free / (median(twoRuns.map((run) => msPerRequest(run, served))) / 1000) / one.requestsPerSecond;
  return {
    ratios,
    ratio: median(ratios),
    one,
    two: medians(twoRuns),
    ceiling,
    ceilingWithoutLoad,
    oneGatewayCores: median(oneRuns.map((run) => coresOf(run, 'gateway 1') ?? Number.NaN)),
    oneLoadCores: median(oneRuns.map((run) => coresOf(run, 'load generator') ?? Number.NaN)),
    restTwo: median(twoRuns.map((run) => rest(run) ?? 0)),
    gatewayMsOne: median(oneRuns.map((run) => msPerRequest(run, ['gateway 1', 'gateway 2']))),
    gatewayMsTwo: median(twoRuns.map((run) => msPerRequest(run, ['gateway 1', 'gateway 2']))),
    loadMsTwo: median(twoRuns.map((run) => msPerRequest(run, ['load generator']))),
  };
}

function runTable(comparison: Comparison): string {
  const row = (label: string, contender: string, run: MeasuredRun) => [
    label,
    contender,
    fixed(run.requestsPerSecond),
    fixed(run.latencyP50, 0),
    fixed(run.latencyP99, 0),
    ...groupNames.map((name) => percent(coresOf(run, name))),
    percent(rest(run)),
    percent(run.cores.machine),
  ];
  const rows = comparison.runs[0]!.flatMap((_, r) => comparison.contenders.map((c, i) => row(String(r + 1), c.name, comparison.runs[i]![r]!)));
  const medianRow = (i: number) => {
    const runs = comparison.runs[i]!;
    const m = medians(runs);
    const of = (pick: (run: MeasuredRun) => number | undefined) => median(runs.map((run) => pick(run) ?? Number.NaN));
    return bold([
      `median ${comparison.contenders[i]!.name}`,
      '',
      fixed(m.requestsPerSecond),
      fixed(m.latencyP50, 0),
      fixed(m.latencyP99, 0),
      ...groupNames.map((name) => percent(of((run) => coresOf(run, name)))),
      percent(of(rest)),
      percent(of((run) => run.cores.machine)),
    ]);
  };
  return table(
    ['round', 'contender', 'req/s', 'p50 ms', 'p99 ms', ...groupNames.map((name) => `${name} CPU %`), 'rest of the machine CPU %', 'machine CPU % (of 200)'],
    [...rows, medianRow(0), medianRow(1)],
  );
}

function describe(
  config: BenchConfig,
  size: SeedSize,
  connections: number,
  results: { kind: Kind; comparison: Comparison }[],
  before: { load: number; vitest: number },
  after: { load: number; vitest: number },
) {
  const measured = results.map((r) => ({ ...r, f: figures(r.comparison) }));
  const [bound, page] = [measured[0]!, measured[1]!];
  const verdict = bound.f.ratio >= target ? 'met' : '**not met**';
  const busy = before.vitest + after.vitest > 0;
  const summaryRows = measured.map(({ kind, f }) => [
    kind.label,
    kind === bound.kind ? `≥ ${target}x` : 'for information',
    fixed(f.one.requestsPerSecond),
    fixed(f.two.requestsPerSecond),
    f.ratios.map((r) => fixed(r, 2)).join(', '),
    `**${fixed(f.ratio, 2)}x**`,
    `${fixed(f.ceiling, 2)}x`,
    `${fixed(f.ceilingWithoutLoad, 2)}x`,
    kind === bound.kind ? verdict : '—',
  ]);
  const f = bound.f;
  const markdown = [
    '<!-- scaling:start (bench/scenarios/scaling.ts writes this section) -->',
    '',
    table(
      ['', ''],
      [
        ['date', new Date().toISOString().replace(/\.\d+Z$/, 'Z')],
        ['command', '`npm run bench -- scaling`'],
        ['machine', `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores, Node.js ${process.version}`],
        [
          'other work',
          `load average (1 min) ${before.load.toFixed(2)} at the start, ${after.load.toFixed(2)} at the end; ${before.vitest} vitest process(es) at the start, ${after.vitest} at the end` +
            (busy ? ' (the machine was busy: the "rest of the machine" column shows what that took)' : ''),
        ],
        [
          'data',
          `own database, ${size.usages.toLocaleString('en')} usages, ${size.parties.toLocaleString('en')} parties, ${size.specifications} specifications`,
        ],
        [
          'load',
          `${connections} connections from one autocannon process, to one gateway or ${connections / 2} to each of two; ${config.warmup} s warm-up + ${config.duration} s per run, ${config.rounds} rounds, ${variantCount} variants in turn`,
        ],
      ],
    ),
    '',
    `Two gateway processes (our gateway's bundle as \`npm run gateway\` runs it, \`RATE_LIMIT_PER_SECOND=0\`, entity cache on) over the same three subgraph processes; the contenders alternate, one gateway (gateway 1; gateway 2 sits idle) then both, in every round. **Ratio** is two gateways' requests/s over one's in the same round; the ceiling is what two gateways could reach here at the CPU per request measured in the two-gateway runs, against one: the two cores, less what the rest of the machine took, divided by the CPU a request costs everything it needs (with the load generator, and without it: another machine's load).`,
    '',
    table(
      [
        'request',
        'target',
        'one gateway req/s',
        'two gateways req/s',
        'ratio per round',
        'ratio (median)',
        'ceiling here',
        'ceiling, load elsewhere',
        'verdict',
      ],
      summaryRows,
    ),
    '',
    ...measured.flatMap(({ kind, comparison }) => [
      `### ${kind.label}`,
      '',
      '```graphql',
      kind.shown,
      '```',
      '',
      'CPU % is the processes\' user + system time during the measured part (from /proc) over its wall time: 100 is one core, the machine has 200. "Rest of the machine" is the busy time of /proc/stat less the processes listed: the bench process and other work.',
      '',
      runTable(comparison),
      '',
    ]),
    `**What this means.** ${explain(bound.f, page.f)}`,
    '',
    '<!-- scaling:end -->',
  ].join('\n');
  return {
    title: 'Scaling out: one gateway against two (issue 18)',
    placement: 'top' as const,
    markdown,
    summary: [
      `${bound.kind.label}: two gateways / one ${fixed(f.ratio, 2)}x (target ${target}x, ${verdict.replaceAll('*', '')}); ceiling here ${fixed(f.ceiling, 2)}x`,
      `${page.kind.label}: two gateways / one ${fixed(page.f.ratio, 2)}x`,
    ],
  };
}

function explain(f: Figures, page: Figures): string {
  const busy =
    f.restTwo > 0.2
      ? ` Other work took ${percent(f.restTwo)} % of a core in the median two-gateway run (the "rest of the machine" column): rounds with it are not a measure of the gateways.`
      : '';
  return [
    `One gateway is one event loop, but its process kept ${percent(f.oneGatewayCores)} % of a core busy (the main thread, and V8's garbage collector and libuv's threads on the second core) for ${fixed(f.one.requestsPerSecond)} requests/s of \`{ __typename }\`,`,
    `while the load generator took ${percent(f.oneLoadCores)} %: one gateway already uses most of what two cores have.`,
    `Two gateways share the same two cores with the load generator (${fixed(f.loadMsTwo, 3)} ms of CPU per request, against ${fixed(f.gatewayMsTwo, 3)} ms of gateway CPU), the idle subgraphs and database, the bench process and any other work;`,
    `at those costs the two cores hold at most ${fixed(f.ceiling, 2)}x one gateway's rate, ${fixed(f.ceilingWithoutLoad, 2)}x with the load sent from another machine. Measured: ${fixed(f.ratio, 2)}x.${busy}`,
    `So ${target}x cannot be made true on 2 cores: it needs a core for each gateway's event loop and its helper threads, and the load generator elsewhere (3 cores or more, or the load from another machine).`,
    `The page of 20 (${fixed(page.ratio, 2)}x) is bound by the subgraphs and the database, which a second gateway does not add to: scale those for that load.`,
  ].join(' ');
}
