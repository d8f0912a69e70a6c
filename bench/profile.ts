import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './load.js';

/** Reads a V8 CPU profile (node --cpu-prof) and says where the time went during a window of it. */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Milliseconds of samples inside the window, idle excluded. */
  busyMs: number;
  /** Self time per area (our folders, each package, Node core, GC), in ms. */
  areas: Map<string, number>;
  /** Self time per function, in ms. */
  functions: Map<string, number>;
}

export function readProfile(folder: string): CpuProfile {
  const file = readdirSync(folder).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${folder}`);
  return JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as CpuProfile;
}

const rootUrl = `file://${root}/`;

/** Which part of the process a frame belongs to: one of our folders, a package, Node itself or V8. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : 'V8 built-ins (JSON, RegExp, ...)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency) return dependency[1]!;
  if (url.startsWith('node:internal/deps/undici')) return 'undici bundled in Node (fetch)';
  if (url.startsWith('node:')) return 'Node core';
  if (url.startsWith(rootUrl)) return `${url.slice(rootUrl.length).split('/')[0]}/ (project)`;
  return url;
}

function functionKey(frame: CallFrame): string {
  const place = frame.url.replace(rootUrl, '').replace(/^.*node_modules\//, '');
  return `${frame.functionName || '(anonymous)'}${place ? ` ${place}:${frame.lineNumber + 1}` : ''}`;
}

/**
 * Self time per area and per function for the samples between `fromMs` and `toMs`, counted from the
 * profile's start (which is within a few milliseconds of the process's own start).
 */
export function summarise(profile: CpuProfile, fromMs: number, toMs: number): ProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyMs = 0;
  let at = 0;
  for (const [i, id] of profile.samples.entries()) {
    const delta = profile.timeDeltas[i]! / 1000;
    at += delta;
    if (at < fromMs || at > toMs) continue;
    const frame = frames.get(id)!;
    if (frame.functionName === '(idle)') continue;
    busyMs += delta;
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + delta);
    const key = functionKey(frame);
    functions.set(key, (functions.get(key) ?? 0) + delta);
  }
  return { busyMs, areas, functions };
}

export function top(entries: Map<string, number>, count: number): [string, number][] {
  return [...entries].sort((a, b) => b[1] - a[1]).slice(0, count);
}
