import { readdirSync, readFileSync } from 'node:fs';

/**
 * What Linux says about a process, from /proc: resident memory, CPU time, children. Each reader
 * answers undefined (or nothing) where there is no /proc, so the bench still runs elsewhere, with
 * fewer columns.
 */
const ticksPerSecond = 100; // USER_HZ: 100 on every Linux the project runs on

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Resident set size in MiB. */
export function rssMiB(pid: number): number | undefined {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(read(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) / 1024 : undefined;
}

/** The fields of /proc/<pid>/stat after the command name, which is in parentheses and may hold spaces. */
function statFields(pid: number): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`);
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : undefined;
}

/** The live processes `pid` started (all its threads' children). */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((task) => (read(`/proc/${pid}/task/${task}/children`) ?? '').trim().split(/\s+/).filter(Boolean).map(Number));
}

/**
 * Proportional set size in MiB: resident memory with each shared page divided among the processes
 * sharing it, so a sum over PostgreSQL's processes counts its shared buffers once.
 */
export function pssMiB(pid: number): number | undefined {
  const match = /^Pss:\s+(\d+) kB$/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? '');
  return match ? Number(match[1]) / 1024 : undefined;
}

/** `pid` and every process under it. */
export function processTree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(processTree)];
}

/**
 * User + system CPU time, in ms, that the process and every process under it have used so far (all
 * their threads). A process that forks its work counts with it: the embedded database is the
 * supervisor (FerretDB inside it) with PostgreSQL's postmaster and one backend per connection below.
 * Each live process adds its own time and what its children that have exited and been waited for
 * used (cutime, cstime), so a backend that came and went between two readings is still counted, once.
 */
export function cpuMs(pid: number): number | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  // utime, stime, cutime, cstime (stat fields 14-17).
  const own = ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond;
  return childrenOf(pid).reduce((sum, child) => sum + (cpuMs(child) ?? 0), own);
}

/**
 * The database supervisor this process started (.tools/bin/usage-graph-db; as root it re-executes
 * itself under unshare, whose command line still names it), or undefined (MONGODB_URI, no /proc).
 */
export function databaseSupervisor(parent = process.pid): number | undefined {
  return childrenOf(parent).find((pid) => (read(`/proc/${pid}/cmdline`) ?? '').split('\0').some((arg) => arg.endsWith('/usage-graph-db')));
}

/**
 * Waits until the processes are idle (together under 25 % of a core for half a second), at most
 * `limitMs`. A load run that ends leaves requests in flight that the server still works through;
 * the next run must not inherit them. An idle system process uses about 4 % of a core (10 % under
 * --cpu-prof); one still answering requests keeps a core busy, in Node or in the database.
 */
export async function waitUntilQuiet(pids: readonly number[], limitMs = 120_000): Promise<void> {
  const total = () => pids.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
  const until = Date.now() + limitMs;
  let quietSamples = 0;
  let last = total();
  while (quietSamples < 2 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = total();
    quietSamples = now - last < 62 ? quietSamples + 1 : 0;
    last = now;
  }
}
