import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { root } from './load.js';

/**
 * A server the bench runs in its own `node` process, so that its CPU time and memory are its own
 * and it never shares an event loop with the load generator or another contender.
 */
export interface Child {
  name: string;
  pid: number;
  /** What the process announced, from the first line that matched `ready`. */
  url: string;
  stop(): Promise<void>;
}

export interface ChildOptions {
  name: string;
  /** A TypeScript entry point, relative to the repository (or JavaScript, with `plain`). */
  script: string;
  /** Run the script with plain `node`, without the tsx loader (a built bundle). */
  plain?: boolean;
  /** Flags for `node` itself, before the script. */
  nodeFlags?: string[];
  env?: Record<string, string>;
  /** Matches the line (stdout or stderr) that says the server listens; group 1 is its URL. */
  ready?: RegExp;
  /** Folder for a V8 CPU profile, written when the process stops (SIGINT). */
  cpuProfileDir?: string;
  timeoutMs?: number;
}

export function startChild(options: ChildOptions): Promise<Child> {
  const ready = options.ready ?? /^ready (\S+)/;
  const flags = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  const child = spawn(process.execPath, [...(options.plain ? [] : ['--import', 'tsx']), ...(options.nodeFlags ?? []), ...flags, options.script], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let started = false;
    const timer = setTimeout(() => fail(`did not start within ${(options.timeoutMs ?? 60_000) / 1000} s`), options.timeoutMs ?? 60_000);
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${options.name} ${why}: ${output.trim()}`));
    }
    child.once('exit', (code) => started || fail(`exited with code ${code}`));
    const onLine = (line: string) => {
      output = `${output}${line}\n`.slice(-4_000);
      const url = ready.exec(line)?.[1];
      if (started || !url) return;
      started = true;
      clearTimeout(timer);
      resolve({
        name: options.name,
        pid: child.pid!,
        url,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.kill('SIGINT');
          await exited;
          clearTimeout(force);
        },
      });
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
  });
}

/** Stops every child that started, whatever happens to the others. */
export async function stopAll(children: readonly (Child | undefined)[]): Promise<void> {
  await Promise.allSettled(children.filter((c) => c !== undefined).map((c) => c.stop()));
}
