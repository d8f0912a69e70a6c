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

/** User + system CPU time the process has used so far, in ms (all its threads). */
export function cpuMs(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Direct children of `parent` whose command name is `name` (e.g. the embedded database). */
export function childrenNamed(name: string, parent = process.pid): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${parent}/task`);
  } catch {
    return [];
  }
  const children = tasks.flatMap((task) => (read(`/proc/${parent}/task/${task}/children`) ?? '').trim().split(/\s+/).filter(Boolean).map(Number));
  return children.filter((pid) => read(`/proc/${pid}/comm`)?.trim() === name);
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
