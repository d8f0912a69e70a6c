import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { cpuMs, rssMiB, waitUntilQuiet } from './processes.js';

/** One load run: what load-child.ts is told to fire. */
export interface LoadRequest {
  url: string;
  /**
   * Several equal servers instead of `url` alone: autocannon 9 spreads the connections over them,
   * connection i to `urls[i % n]`, from one load process with one latency histogram (scenarios/scaling.ts).
   */
  urls?: string[];
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /**
   * Requests to take in turn instead of repeating one (a path with its query, a body), shared by all
   * connections: concurrent requests then differ, as real traffic does, so no contender gains from
   * merging identical requests in flight.
   */
  variants?: { path?: string; body?: string }[];
  connections: number;
  /** Seconds. */
  duration: number;
  warmup: number;
}

/** What autocannon measured (latencies in ms). */
export interface LoadResult {
  requestsPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  latencyMean: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
}

/**
 * The processes a run watches: the system under test (or the one gateway being compared), the
 * subgraph processes behind it, and, when the bench started it, the database.
 */
export interface Watched {
  system?: number;
  upstream?: readonly number[];
  database?: number;
  /** Named groups of processes whose cores during the measured part MeasuredRun.cores reports (e.g. two gateways). */
  groups?: Record<string, readonly number[]>;
}

export interface MeasuredRun extends LoadResult {
  /** Resident memory of the system process during the measured part, in MiB. */
  rss?: { peak: number; mean: number };
  /** CPU time per request during the measured part, in ms, of each watched process (upstream: all of them). */
  cpu: { system?: number; upstream?: number; database?: number };
  /** Wall-clock span of the measured part (epoch ms), to line it up with a CPU profile. */
  window: { from: number; to: number };
  /**
   * Cores kept busy during the measured part (CPU ms per wall-clock ms, 1 = one core), idle time
   * included: each of Watched.groups, the load generator (`load generator`) and the whole machine
   * from /proc/stat (`machine`: everything, the bench process and other work on the machine too).
   */
  cores: Record<string, number>;
}

const idleSampleMs = 1_000;

/** CPU ms the whole machine has spent busy (not idle, not waiting for I/O), from the first line of /proc/stat. */
function machineBusyMs(): number | undefined {
  try {
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    // user nice system idle iowait irq softirq steal, in USER_HZ (100 a second)
    return (ticks.reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!) * 10;
  } catch {
    return undefined;
  }
}

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = path.join(root, 'bench/load-child.ts');

/**
 * Fires one run from a separate `node` process. Before the warm-up and again before the measured
 * part, it waits until the watched processes are idle, so no run inherits another's requests; during
 * the measured part it samples the system's memory every 250 ms and reads the watched processes' CPU
 * time, less what each spent at rest in the second before (a slow run's few requests must not carry
 * the processes' timers and pings).
 * A run with any error, timeout or non-2xx answer, or with no answer at all, fails the bench.
 */
export async function runLoad(request: LoadRequest, watched: Watched = {}): Promise<MeasuredRun> {
  const groups = Object.entries(watched.groups ?? {});
  const pids = [watched.system, ...(watched.upstream ?? []), watched.database, ...groups.flatMap(([, group]) => group)].filter(
    (pid): pid is number => pid !== undefined,
  );
  await waitUntilQuiet(pids);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(request)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const samples: number[] = [];
    let sampler: NodeJS.Timeout | undefined;
    let result: LoadResult | undefined;
    let stderr = '';
    const window = { from: 0, to: 0 };
    const cpuAt = { system: 0, upstream: 0, database: 0 };
    const cpuUsed = { system: 0, upstream: 0, database: 0 };
    /** CPU ms per wall-clock ms of each watched process at rest, just before the measured part. */
    const idle = { system: 0, upstream: 0, database: 0 };
    /** CPU ms of each group, the load generator and the machine, at the start and at the end of the measured part. */
    const coresAt: Record<string, number>[] = [];
    const readCores = () => {
      const sum = (group: readonly number[]) => group.reduce((total, pid) => total + (cpuMs(pid) ?? 0), 0);
      const machine = machineBusyMs();
      coresAt.push({
        ...Object.fromEntries(groups.map(([name, group]) => [name, sum(group)])),
        'load generator': cpuMs(proc.pid!) ?? 0,
        ...(machine === undefined ? {} : { machine }),
      });
    };
    const readCpu = (into: typeof cpuAt) => {
      into.system = watched.system === undefined ? 0 : (cpuMs(watched.system) ?? 0);
      into.upstream = (watched.upstream ?? []).reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
      into.database = watched.database === undefined ? 0 : (cpuMs(watched.database) ?? 0);
    };
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line === 'warmed') {
        void waitUntilQuiet(pids)
          .then(async () => {
            // What the processes spend idle (timers, keep-alive pings) is not the requests' cost.
            const before = { system: 0, upstream: 0, database: 0 };
            const after = { system: 0, upstream: 0, database: 0 };
            readCpu(before);
            const t0 = Date.now();
            await new Promise((resolve) => setTimeout(resolve, idleSampleMs));
            readCpu(after);
            const ms = Date.now() - t0;
            for (const key of ['system', 'upstream', 'database'] as const) idle[key] = (after[key] - before[key]) / ms;
          })
          .then(() => proc.stdin.end('go\n'));
      } else if (line === 'measuring') {
        window.from = Date.now();
        readCpu(cpuAt);
        readCores();
        if (watched.system === undefined) return;
        sampler = setInterval(() => {
          const rss = rssMiB(watched.system!);
          if (rss !== undefined) samples.push(rss);
        }, 250);
      } else if (line.startsWith('{')) {
        window.to = Date.now();
        readCpu(cpuUsed);
        readCores();
        result = JSON.parse(line) as LoadResult;
      }
    });
    proc.once('error', reject);
    proc.once('close', (code) => {
      clearInterval(sampler);
      if (code !== 0 || !result) return reject(new Error(`load generator exited with ${code}: ${stderr.trim()}`));
      const what = `${request.method} ${request.url}`;
      if (result.non2xx || result.errors || result.timeouts) {
        return reject(new Error(`${what}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`));
      }
      if (!result.requests) {
        return reject(
          new Error(`${what}: no answer within the ${request.duration} s run; the database is too slow for this size (lower --usages or raise --duration)`),
        );
      }
      const span = window.to - window.from;
      const perRequest = (key: keyof typeof idle, watching: boolean) =>
        watching ? Math.max(0, cpuUsed[key] - cpuAt[key] - idle[key] * span) / result!.requests : undefined;
      const cpu = {
        system: perRequest('system', watched.system !== undefined),
        upstream: perRequest('upstream', Boolean(watched.upstream?.length)),
        database: perRequest('database', watched.database !== undefined),
      };
      const rss = samples.length ? { peak: Math.max(...samples), mean: samples.reduce((a, b) => a + b, 0) / samples.length } : undefined;
      const [coresFrom, coresTo] = coresAt;
      const cores = Object.fromEntries(Object.keys(coresTo ?? {}).map((name) => [name, (coresTo![name]! - coresFrom![name]!) / span]));
      resolve({ ...result, cpu, window, cores, ...(rss ? { rss } : {}) });
    });
  });
}
