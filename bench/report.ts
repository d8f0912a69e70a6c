import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from 'mongodb';
import type { BenchConfig } from './config.js';
import { root } from './load.js';
import type { Section } from './scenario.js';
import { table } from './stats.js';

export interface Environment {
  date: string;
  commit: string;
  machine: string;
  node: string;
  database: string;
  /** 1-minute load average when the bench started: other work on the machine skews every figure. */
  loadBefore: number;
}

/** Where and on what the figures were taken: they mean little without it. */
export async function describeEnvironment(db: Db, kind: 'ferretdb' | 'external'): Promise<Environment> {
  const cpus = os.cpus();
  const info = await db.admin().command({ buildInfo: 1 }).catch(() => ({}) as Record<string, unknown>);
  // The embedded build reports "unknown" (see scripts/ferretdb/main.go); its pin is in go.mod.
  const pinned = /FerretDB\/FerretDB (v[\d.]+)/.exec(readFileSync(path.join(root, 'scripts/ferretdb/go.mod'), 'utf8'))?.[1];
  const reported = typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : undefined;
  const ferret = reported === 'unknown' && kind === 'ferretdb' ? pinned : reported;
  const database = ferret
    ? `FerretDB ${ferret} (${kind === 'ferretdb' ? 'embedded, SQLite' : 'MONGODB_URI'}; reports MongoDB ${String(info.version)})`
    : `MongoDB ${String(info.version ?? 'unknown')} (MONGODB_URI)`;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    if (execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).trim()) commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout: the figures still stand
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit,
    machine: `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.type()} ${os.release()}`,
    node: process.version,
    database,
    loadBefore: os.loadavg()[0]!,
  };
}

export function writeResults(config: BenchConfig, environment: Environment, seedSeconds: number, sections: Section[]): string {
  const file = path.resolve(root, config.resultsPath);
  const text = [
    '# Bench results',
    '',
    'Written by `npm run bench` (see [README.md](README.md)); every figure below comes from the run described here.',
    '',
    table(
      ['', ''],
      [
        ['date', environment.date],
        ['commit', environment.commit],
        ['machine', environment.machine],
        ['Node.js', environment.node],
        ['load average (1 min)', `${environment.loadBefore.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end (the bench alone keeps it near 2)`],
        ['database', environment.database],
        ['seed', `${config.usages.toLocaleString('en')} usages, ${config.parties.toLocaleString('en')} parties, ${config.specifications} specifications (seeded in ${seedSeconds.toFixed(1)} s)`],
        ['load', `${config.connections} connections, ${config.warmup} s warm-up + ${config.duration} s per run, ${config.rounds} rounds`],
      ],
    ),
    '',
    ...sections.flatMap((section) => [`## ${section.title}`, '', section.markdown, '']),
  ].join('\n');
  writeFileSync(file, text);
  return file;
}
