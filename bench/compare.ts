import type { BenchConfig } from './config.js';
import { runLoad, type LoadRequest, type MeasuredRun, type Watched } from './load.js';
import { bold, fixed, median, table } from './stats.js';

/** One side of a comparison: a request to fire and the processes that serve it. */
export interface Contender {
  name: string;
  request: Omit<LoadRequest, 'connections' | 'duration' | 'warmup'>;
  watched: Watched;
}

type Ratio = { latencyP50: number; latencyP99: number; throughput: number; cpu: number };

export interface Comparison {
  contenders: Contender[];
  /** runs[c][r]: contender c in round r. */
  runs: MeasuredRun[][];
  /** ratios[r][c - 1]: contender c against the baseline (contender 0) in round r. */
  ratios: Ratio[][];
}

/**
 * Runs the contenders in turn, A B A B ... (A B C A B C with three), so drift in the machine (a
 * noisy neighbour, a warming page cache) touches every contender alike. The first contender is the
 * baseline; a ratio above 1 means the other contender costs more: its latency or CPU time per
 * request divided by the baseline's, or the baseline's throughput divided by its own.
 */
export async function alternate(config: BenchConfig, contenders: Contender[], log: (m: string) => void): Promise<Comparison> {
  const runs: MeasuredRun[][] = contenders.map(() => []);
  // One unmeasured run each first: the first contender of round 1 would otherwise pay for the JIT
  // and the connection pools of every process it uses (measured: 20-30 % of its round-1 figures).
  for (const contender of contenders) {
    // 3 s, not 1: the raw driver's unwindowed sorted page over 100,000 usages takes more than a second
    // under ten connections, and a warm-up run that sees no answer at all fails the scenario.
    await runLoad({ ...contender.request, connections: config.connections, duration: 3, warmup: config.warmup }, contender.watched);
  }
  log(`every contender warmed up (${config.warmup + 3} s each, not measured)`);
  for (let round = 0; round < config.rounds; round++) {
    for (const [c, contender] of contenders.entries()) {
      const request = { ...contender.request, connections: config.connections, duration: config.duration, warmup: config.warmup };
      const run = await runLoad(request, contender.watched);
      runs[c]!.push(run);
      log(
        `round ${round + 1}/${config.rounds} ${contender.name}: ${fixed(run.requestsPerSecond)} req/s, p50 ${run.latencyP50} ms, ` +
          `p99 ${run.latencyP99} ms, CPU/request system ${fixed(run.cpu.system, 2)} ms` +
          `${run.cpu.upstream === undefined ? '' : `, upstream ${fixed(run.cpu.upstream, 2)} ms`}, database ${fixed(run.cpu.database)} ms` +
          `${run.rss ? `, RSS peak ${fixed(run.rss.peak, 0)} MiB` : ''}`,
      );
    }
  }
  const ratios = runs[0]!.map((b, round) =>
    runs.slice(1).map((other) => {
      const o = other[round]!;
      return {
        latencyP50: o.latencyP50 / b.latencyP50,
        latencyP99: o.latencyP99 / b.latencyP99,
        throughput: b.requestsPerSecond / o.requestsPerSecond,
        cpu: (o.cpu.system ?? Number.NaN) / (b.cpu.system ?? Number.NaN),
      };
    }),
  );
  return { contenders, runs, ratios };
}

export function medians(runs: readonly MeasuredRun[]) {
  const of = (pick: (run: MeasuredRun) => number | undefined) => median(runs.flatMap((run) => (pick(run) === undefined ? [] : [pick(run)!])));
  return {
    requestsPerSecond: of((r) => r.requestsPerSecond),
    latencyP50: of((r) => r.latencyP50),
    latencyP99: of((r) => r.latencyP99),
    cpuSystem: of((r) => r.cpu.system),
    cpuUpstream: of((r) => r.cpu.upstream),
    cpuDatabase: of((r) => r.cpu.database),
    rssPeak: of((r) => r.rss?.peak),
  };
}

/** Median over the rounds of contender `other`'s ratios to the baseline. */
export function medianRatios(comparison: Comparison, other: number): Ratio {
  const of = (key: keyof Ratio) => median(comparison.ratios.map((round) => round[other - 1]![key]));
  return { latencyP50: of('latencyP50'), latencyP99: of('latencyP99'), throughput: of('throughput'), cpu: of('cpu') };
}

/** Column names of the watched processes (the REST scenario watches one system process). */
export interface Labels {
  system: string;
  upstream?: string;
}

/** Every run in the order it ran, each contender's medians, and the ratios per round with their median. */
export function comparisonTables(comparison: Comparison, labels: Labels = { system: 'system' }): string {
  const { contenders, runs, ratios } = comparison;
  const up = labels.upstream !== undefined;
  const header = [
    'round',
    'contender',
    'req/s',
    'p50 ms',
    'p99 ms',
    'mean ms',
    'requests',
    `${labels.system} CPU ms/req`,
    ...(up ? [`${labels.upstream} CPU ms/req`] : []),
    'DB CPU ms/req',
    `${labels.system} RSS peak MiB`,
  ];
  const runRows = runs[0]!.flatMap((_, round) =>
    contenders.map((contender, c) => {
      const r = runs[c]![round]!;
      return [
        String(round + 1),
        contender.name,
        fixed(r.requestsPerSecond),
        fixed(r.latencyP50, 0),
        fixed(r.latencyP99, 0),
        fixed(r.latencyMean, 0),
        String(r.requests),
        fixed(r.cpu.system, 2),
        ...(up ? [fixed(r.cpu.upstream, 2)] : []),
        fixed(r.cpu.database),
        fixed(r.rss?.peak, 0),
      ];
    }),
  );
  const medianRows = contenders.map((contender, c) => {
    const m = medians(runs[c]!);
    return bold([
      `median ${contender.name}`,
      '',
      fixed(m.requestsPerSecond),
      fixed(m.latencyP50, 0),
      fixed(m.latencyP99, 0),
      '',
      '',
      fixed(m.cpuSystem, 2),
      ...(up ? [fixed(m.cpuUpstream, 2)] : []),
      fixed(m.cpuDatabase),
      fixed(m.rssPeak, 0),
    ]);
  });
  const ratioTables = contenders.slice(1).map((contender, i) => {
    const cells = (r: Ratio) => [fixed(r.latencyP50, 2), fixed(r.latencyP99, 2), fixed(r.throughput, 2), fixed(r.cpu, 2)];
    const rows = ratios.map((round, r) => [String(r + 1), ...cells(round[i]!)]);
    rows.push(bold(['median', ...cells(medianRatios(comparison, i + 1))]));
    return [
      `${contender.name} relative to ${contenders[0]!.name} (above 1: ${contender.name} costs more):`,
      '',
      table(['round', 'p50 latency', 'p99 latency', `throughput (${contenders[0]!.name} / ${contender.name})`, `${labels.system} CPU per request`], rows),
    ].join('\n');
  });
  return [table(header, [...runRows, ...medianRows]), '', ...ratioTables].join('\n');
}
