import { parseArgs } from 'node:util';

/**
 * The bench's knobs: a command-line flag wins over its environment variable, which wins over the
 * default. Defaults keep `npm run bench` within 15 minutes on a 2-core machine.
 */
export interface BenchConfig {
  usages: number;
  /** Usages of the database the REST-over-GraphQL and round-trip scenarios read (`<database>_pages`). */
  pageUsages: number;
  parties: number;
  specifications: number;
  /** Measured seconds per load run, after `warmup` seconds that are thrown away. */
  duration: number;
  warmup: number;
  /** Runs per contender; contenders alternate A B A B ... */
  rounds: number;
  connections: number;
  /** Profile the system under load when REST misses its target: `auto`, `always` or `never`. */
  profile: 'auto' | 'always' | 'never';
  /** Page size of the load scenario (issue 3: 100). */
  pageSize: number;
  /** graphql-ws clients of the fan-out scenario (issue 4: 1,000). */
  subscribers: number;
  /** Usages (and parties) of the gateway scenario's own database (see scenarios/gateways.ts). */
  gatewayUsages: number;
  /** The volume scenario (issue 13): usages of its database, of the small one beside it, parties and specifications per tenant, request pairs per row. */
  volumeUsages: number;
  volumeSmallUsages: number;
  volumeParties: number;
  volumeSpecifications: number;
  volumeSamples: number;
  /** The soak scenario (issue 14): minutes of mixed load, and seconds between two kills. */
  soakMinutes: number;
  soakKillEveryS: number;
  mongodbUri?: string;
  database: string;
  dataDir: string;
  resultsPath: string;
  /** Names of the scenarios to run (all when empty). */
  only: string[];
  /** Also measure our gateway with each lever undone (JavaScript planner) and the stock runtime with the Rust planner. */
  levers: boolean;
}

const knobs = {
  usages: { env: 'BENCH_USAGES', default: 100_000 },
  pageUsages: { env: 'BENCH_PAGE_USAGES', default: 100_000 },
  parties: { env: 'BENCH_PARTIES', default: 1_000 },
  specifications: { env: 'BENCH_SPECIFICATIONS', default: 50 },
  duration: { env: 'BENCH_DURATION', default: 8 },
  warmup: { env: 'BENCH_WARMUP', default: 3 },
  rounds: { env: 'BENCH_ROUNDS', default: 3 },
  connections: { env: 'BENCH_CONNECTIONS', default: 10 },
  pageSize: { env: 'BENCH_PAGE_SIZE', default: 100 },
  subscribers: { env: 'BENCH_SUBSCRIBERS', default: 1_000 },
  gatewayUsages: { env: 'BENCH_GATEWAY_USAGES', default: 100_000 },
  volumeUsages: { env: 'BENCH_VOLUME_USAGES', default: 1_000_000 },
  volumeSmallUsages: { env: 'BENCH_VOLUME_SMALL_USAGES', default: 10_000 },
  volumeParties: { env: 'BENCH_VOLUME_PARTIES', default: 10_000 },
  volumeSpecifications: { env: 'BENCH_VOLUME_SPECIFICATIONS', default: 100 },
  volumeSamples: { env: 'BENCH_VOLUME_SAMPLES', default: 100 },
  soakMinutes: { env: 'SOAK_MINUTES', default: 20 },
  soakKillEveryS: { env: 'SOAK_KILL_EVERY_S', default: 180 },
} as const;

type NumericKnob = keyof typeof knobs;

export const usage = `npm run bench [-- [SCENARIO ...] --usages=N --page-usages=N --parties=N --specifications=N --duration=S --warmup=S --rounds=N
                      --connections=N --page-size=N --subscribers=N --gateway-usages=N --profile=auto|always|never --results=PATH
                      --only=gateways,fan-out,... --levers --volume-usages=N --volume-small-usages=N --volume-parties=N
                      --volume-specifications=N --volume-samples=N --soak-minutes=N --soak-kill-every-s=N]
SCENARIO names (e.g. \`npm run bench -- volume\`) are added to --only; \`volume\` (issue 13) and \`soak\` (issue 14) run only when named.
The soak's knobs are also SOAK_MINUTES (default 20) and SOAK_KILL_EVERY_S (default 180).
Each flag has an environment variable (BENCH_USAGES, BENCH_DURATION, ..., BENCH_PROFILE, BENCH_RESULTS).
MONGODB_URI runs against that server instead of the embedded FerretDB; BENCH_DB names the database
(default usage_graph_bench), which the bench drops and seeds again at every run.`;

export function loadBenchConfig(argv = process.argv.slice(2), env = process.env): BenchConfig {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...Object.fromEntries(Object.keys(knobs).map((name) => [kebab(name), { type: 'string' as const }])),
      profile: { type: 'string' },
      results: { type: 'string' },
      only: { type: 'string' },
      levers: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const numbers = {} as Record<NumericKnob, number>;
  for (const [name, knob] of Object.entries(knobs) as [NumericKnob, (typeof knobs)[NumericKnob]][]) {
    const text = ((values as Record<string, unknown>)[kebab(name)] as string | undefined) ?? env[knob.env];
    const value = text === undefined || text === '' ? knob.default : Number(text);
    if (!Number.isInteger(value) || value < (name === 'warmup' ? 0 : 1)) {
      throw new Error(`--${kebab(name)} / ${knob.env} must be a positive integer; got ${JSON.stringify(text)}.\n${usage}`);
    }
    numbers[name] = value;
  }
  const profile = values.profile ?? env.BENCH_PROFILE ?? 'auto';
  if (profile !== 'auto' && profile !== 'always' && profile !== 'never') {
    throw new Error(`--profile / BENCH_PROFILE must be auto, always or never; got ${JSON.stringify(profile)}.`);
  }
  return {
    ...numbers,
    profile,
    mongodbUri: env.MONGODB_URI || undefined,
    database: env.BENCH_DB || 'usage_graph_bench',
    // DATA_DIR, as everywhere else: two benches on one checkout must not share a PostgreSQL data folder.
    dataDir: env.DATA_DIR || '.data/bench',
    resultsPath: values.results ?? env.BENCH_RESULTS ?? 'bench/RESULTS.md',
    levers: Boolean(values.levers) || env.BENCH_LEVERS === '1',
    only: [...(values.only ?? env.BENCH_ONLY ?? '').split(','), ...positionals].map((name) => name.trim()).filter(Boolean),
  };
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
