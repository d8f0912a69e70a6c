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
  /** Versions of what the contenders are made of, as installed. */
  packages: string;
  /** 1-minute load average when the bench started: other work on the machine skews every figure. */
  loadBefore: number;
}

const contenderPackages = [
  '@graphql-hive/gateway-runtime',
  '@graphql-hive/router-runtime',
  '@apollo/gateway',
  '@apollo/server',
  '@apollo/subgraph',
  'graphql',
  'mongodb',
];

function installedVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** Where and on what the figures were taken: they mean little without it. */
export async function describeEnvironment(db: Db, kind: 'ferretdb' | 'external'): Promise<Environment> {
  const cpus = os.cpus();
  const info = await db
    .admin()
    .command({ buildInfo: 1 })
    .catch((): Record<string, unknown> => ({}));
  // The embedded build reports "unknown" (see scripts/ferretdb/main.go); its pin is in go.mod.
  const pinned = /FerretDB\/FerretDB(?:\/v2)? (v[\d.]+)/.exec(readFileSync(path.join(root, 'scripts/ferretdb/go.mod'), 'utf8'))?.[1];
  const reported = typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : undefined;
  // FerretDB 2 reports no ferretdbVersion at all: the embedded one is the pin.
  const ferret = (reported === undefined || reported === 'unknown') && kind === 'ferretdb' ? pinned : reported;
  const database = ferret
    ? `FerretDB ${ferret} (${kind === 'ferretdb' ? 'embedded, on PostgreSQL 18 + DocumentDB' : 'MONGODB_URI'}; reports MongoDB ${String(info.version)})`
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
    packages: contenderPackages.map((name) => `${name} ${installedVersion(name)}`).join(', '),
    loadBefore: os.loadavg()[0]!,
  };
}

/**
 * What each scenario reads, and why the load scenarios do not read the main seed on the embedded
 * database. The figures were measured on this machine (the "data set" scenario measures them again).
 */
function dataSet(config: BenchConfig): string {
  return [
    '## Data set',
    '',
    `The main seed is ${config.usages.toLocaleString('en')} usages over ${config.parties.toLocaleString('en')} parties and ${config.specifications} specifications, with characteristics and`,
    'prices, in a database of its own that every run drops and seeds again. The "data set" scenario reads it.',
    `The load scenarios read databases of their own, of the same shapes and, on the default database (FerretDB 2 on`,
    `PostgreSQL + DocumentDB), of the same size: the gateways ${config.gatewayUsages.toLocaleString('en')} usages (\`--gateway-usages\`), REST over GraphQL`,
    `and round trips ${config.pageUsages.toLocaleString('en')} (\`--page-usages\`), fan-out and ingestion their own. The volume scenario`,
    '(`npm run bench -- volume`) reads 1,000,000.',
  ].join('\n');
}

/** bench/what-moved.md, written by hand: which changes moved the figures, measured before and after. */
function whatMoved(): string[] {
  try {
    return [readFileSync(path.join(root, 'bench/what-moved.md'), 'utf8').trim(), ''];
  } catch {
    return [];
  }
}

/**
 * An opt-in scenario's section sits between `<!-- NAME:start ... -->` and `<!-- NAME:end -->` (volume,
 * soak): a run of that scenario replaces its own block, and every other run keeps it.
 */
const markerName = (markdown: string) => /<!-- ([\w-]+):start/.exec(markdown)?.[1];

/** The section an opt-in scenario wrote at the top of `text` (between its markers, heading included), or ''. */
function topBlock(text: string, name: string): string {
  const start = text.indexOf(`<!-- ${name}:start`);
  const endMarker = `<!-- ${name}:end -->`;
  const end = text.indexOf(endMarker);
  if (start < 0 || end < start) return '';
  const heading = text.lastIndexOf('\n## ', start);
  return text.slice(heading < 0 ? start : heading + 1, end + endMarker.length);
}

/** Every such block of `text`, in the file's order. */
function topBlocks(text: string): string[] {
  const names = [...text.matchAll(/<!-- ([\w-]+):start/g)].map((m) => m[1]!);
  return [...new Set(names)].map((name) => topBlock(text, name)).filter(Boolean);
}

function readResults(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Writes `section` at the top of the existing RESULTS.md (after its title line), replacing what an
 * earlier run of the same scenario wrote there and keeping every other section as it is.
 */
export function writeTopSection(config: BenchConfig, section: Section): string {
  const file = path.resolve(root, config.resultsPath);
  let text = readResults(file) || '# Bench results\n';
  const old = topBlock(text, markerName(section.markdown) ?? 'volume');
  if (old) text = text.replace(`${old}\n\n`, '').replace(old, '');
  const block = `## ${section.title}\n\n${section.markdown.trim()}`;
  const firstLineEnd = text.indexOf('\n');
  text = `${text.slice(0, firstLineEnd + 1)}\n${block}\n${text.slice(firstLineEnd + 1).replace(/^\n+/, '\n')}`;
  writeFileSync(file, text);
  return file;
}

export function writeResults(config: BenchConfig, environment: Environment, seedSeconds: number, sections: Section[]): string {
  const file = path.resolve(root, config.resultsPath);
  // What the opt-in scenarios (volume, soak) wrote at the top stays: this run did not measure it.
  const kept = topBlocks(readResults(file)).join('\n\n');
  const text = [
    '# Bench results',
    '',
    ...(kept ? [kept, ''] : []),
    'Written by `npm run bench` (see [README.md](README.md)); every figure below comes from the run described here.',
    '',
    table(
      ['', ''],
      [
        ['date', environment.date],
        ['commit', environment.commit],
        ['machine', environment.machine],
        ['Node.js', environment.node],
        [
          'load average (1 min)',
          `${environment.loadBefore.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end (the bench alone keeps it near 2)`,
        ],
        ['database', environment.database],
        ['packages', environment.packages],
        [
          'seed',
          `${config.usages.toLocaleString('en')} usages, ${config.parties.toLocaleString('en')} parties, ${config.specifications} specifications (seeded in ${seedSeconds.toFixed(1)} s)`,
        ],
        ['load', `${config.connections} connections, ${config.warmup} s warm-up + ${config.duration} s per run, ${config.rounds} rounds`],
      ],
    ),
    '',
    dataSet(config),
    '',
    'Every figure comes from one machine with 2 cores shared with other work: the load generator, the contenders, the',
    'subgraphs and the database all compete for them. That is why every comparison alternates its contenders and',
    'reports the median of the per-round ratios: drift touches all alike. Absolute figures move by 10-30 % from run to',
    'run; the ratios move less.',
    '',
    ...sections.flatMap((section) => [`## ${section.title}`, '', section.markdown, '']),
    ...whatMoved(),
  ].join('\n');
  writeFileSync(file, text);
  return file;
}
