import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Contender } from '../compare.js';
import type { BenchConfig } from '../config.js';
import { root, runLoad } from '../load.js';
import { readProfile, summarise, top, type ProfileSummary } from '../profile.js';
import { fixed, table } from '../stats.js';
import { startSystemProcess, type SystemProcess } from '../system-process.js';

/**
 * Where a request's CPU time goes: each contender once more, alone, against a fresh system process
 * started with --cpu-prof. Profiling slows everything down, so these runs never feed the figures
 * above; they only split the Node process's CPU time per request by area (our folders, each
 * package, Node, GC) so the two paths can be set side by side.
 *
 * They read a small database of their own (`<bench db>_profile`, the same shapes, `profileUsages`
 * usages): Node's work for a page of 100 does not depend on how many usages the collection holds,
 * but the embedded database scans all of them for every page, and a profile needs many requests.
 */
export const profileUsages = 300;

export async function profileContenders(
  config: BenchConfig,
  mongodbUri: string,
  database: string,
  count: number,
  contendersOf: (system: SystemProcess) => Contender[],
  log: (m: string) => void,
) {
  const profiles: Profiled[] = [];
  for (let c = 0; c < count; c++) {
    const folder = path.resolve(root, config.dataDir, 'profiles', String(c));
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    const spawnedAt = Date.now();
    const system = await startSystemProcess({ mongodbUri, database, dataDir: config.dataDir, cpuProfileDir: folder });
    let side: Contender;
    let run;
    try {
      side = contendersOf(system)[c]!;
      run = await runLoad({ ...side.request, connections: config.connections, duration: config.duration, warmup: config.warmup }, side.watched);
    } finally {
      await system.stop();
    }
    // Trim the edges: the profile's clock starts within milliseconds of the spawn, not exactly at it.
    const summary = summarise(readProfile(folder), run.window.from - spawnedAt + 300, run.window.to - spawnedAt - 300);
    log(`profiled ${side.name}: ${run.requests} requests, ${fixed(summary.busyMs / run.requests, 2)} ms CPU each (profile in ${folder})`);
    profiles.push({ name: side.name, summary, requests: run.requests, folder: path.relative(root, folder) });
  }
  return describe(profiles);
}

interface Profiled {
  name: string;
  summary: ProfileSummary;
  requests: number;
  folder: string;
}

function describe(profiles: Profiled[]) {
  const per = (p: Profiled, ms: number | undefined) => (ms ?? 0) / p.requests;
  const [base, other] = [profiles[0]!, profiles[1]!];
  const areas = [...new Set([...base.summary.areas.keys(), ...other.summary.areas.keys()])]
    .map((area) => ({ area, base: per(base, base.summary.areas.get(area)), other: per(other, other.summary.areas.get(area)) }))
    .sort((a, b) => b.other - b.base - (a.other - a.base));
  const totals = { base: per(base, base.summary.busyMs), other: per(other, other.summary.busyMs) };
  const areaRows = areas
    .slice(0, 14)
    .map((a) => [a.area, fixed(a.base, 3), fixed(a.other, 3), fixed(a.other - a.base, 3)])
    .concat([['**all (idle excluded)**', `**${fixed(totals.base, 3)}**`, `**${fixed(totals.other, 3)}**`, `**${fixed(totals.other - totals.base, 3)}**`]]);
  const functionRows = (p: Profiled) =>
    top(p.summary.functions, 15).map(([name, ms]) => [`\`${name}\``, fixed(per(p, ms), 3), `${fixed((100 * ms) / p.summary.busyMs)} %`]);
  const markdown = [
    `### Where the time goes (CPU profiles)`,
    '',
    `Each contender alone for ${profiles.map((p) => `${p.requests} requests (${p.name})`).join(' and ')} against a system`,
    `process started with \`--cpu-prof\` (files in \`${base.folder}\` and \`${other.folder}\`), on a database of ${profileUsages}`,
    'usages of the same shapes (the page is the same 100 usages; the database scans fewer per page, so many more',
    'requests go through). Self time of the Node main thread during the measured window divided by the requests',
    "served: CPU milliseconds per request, with the profiler's overhead, sorted by what REST adds.",
    '',
    table(['area', `${base.name} ms/request`, `${other.name} ms/request`, 'difference'], areaRows),
    '',
    `Top functions by self time under ${other.name} load:`,
    '',
    table(['function', 'ms/request', 'share'], functionRows(other)),
    '',
    `Top functions by self time under ${base.name} load:`,
    '',
    table(['function', 'ms/request', 'share'], functionRows(base)),
  ].join('\n');
  const summary = [
    `CPU per request: ${base.name} ${fixed(totals.base, 2)} ms, ${other.name} ${fixed(totals.other, 2)} ms; ${other.name} adds most in: ` +
      areas
        .slice(0, 5)
        .map((a) => `${a.area} +${fixed(a.other - a.base, 2)}`)
        .join(', '),
  ];
  return { markdown, summary };
}
