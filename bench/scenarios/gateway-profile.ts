import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startChild, type ChildOptions } from '../child.js';
import type { Contender } from '../compare.js';
import type { BenchConfig } from '../config.js';
import { root, runLoad } from '../load.js';
import { readProfile, summarise, top } from '../profile.js';
import { fixed, table } from '../stats.js';

/**
 * Where our gateway's CPU time goes: one more run of a contender's load against a fresh gateway
 * process started with --cpu-prof. Profiling slows it down, so this run never feeds the figures;
 * it splits the gateway's CPU time per request by package and by function.
 */
export async function profileGateway(config: BenchConfig, gateway: ChildOptions, contender: (url: string, pid: number) => Contender, log: (m: string) => void) {
  const folder = path.resolve(root, config.dataDir, 'profiles', 'gateway');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const spawnedAt = Date.now();
  const child = await startChild({ ...gateway, cpuProfileDir: folder });
  let run;
  try {
    const side = contender(child.url, child.pid);
    run = await runLoad({ ...side.request, connections: config.connections, duration: config.duration, warmup: config.warmup }, side.watched);
  } finally {
    await child.stop();
  }
  const summary = summarise(readProfile(folder), run.window.from - spawnedAt + 300, run.window.to - spawnedAt - 300);
  const per = (ms: number) => ms / run.requests;
  log(`profiled our gateway: ${run.requests} requests, ${fixed(per(summary.busyMs), 2)} ms CPU each on its main thread`);
  const areas = top(summary.areas, 12).map(([area, ms]) => [area, fixed(per(ms), 3), `${fixed((100 * ms) / summary.busyMs)} %`]);
  const functions = top(summary.functions, 15).map(([name, ms]) => [`\`${name}\``, fixed(per(ms), 3), `${fixed((100 * ms) / summary.busyMs)} %`]);
  return {
    markdown: [
      "### Where our gateway's time goes (CPU profile)",
      '',
      `One more run of the usage-by-id load (${run.requests} requests) against a fresh gateway process started with`,
      `\`--cpu-prof\` (profile in \`${path.relative(root, folder)}\`): self time on the gateway's main thread during the measured`,
      `window, per request (${fixed(per(summary.busyMs), 2)} ms in all, with the profiler's overhead).`,
      '',
      table(['area', 'ms/request', 'share'], areas),
      '',
      table(['function', 'ms/request', 'share'], functions),
    ].join('\n'),
    summary: `our gateway's CPU per request under the profiler: ${fixed(per(summary.busyMs), 2)} ms; most in ${top(summary.areas, 4)
      .map(([a, ms]) => `${a} ${fixed((100 * ms) / summary.busyMs, 0)} %`)
      .join(', ')}`,
  };
}
