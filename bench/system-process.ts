import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { root } from './load.js';

/**
 * The system under test as production runs it: scripts/start.ts (what `npm start` runs) in its own
 * `node` process, every port 0, against the bench database. The bench reads the URLs from the
 * ready banner, exactly as a user would, and stops it with SIGINT, which lets a --cpu-prof run write
 * its profile on the way out.
 */
export interface SystemProcess {
  pid: number;
  gatewayUrl: string;
  /** Base URL of the REST facade, e.g. http://127.0.0.1:PORT. */
  restUrl: string;
  stop(): Promise<void>;
}

export interface SystemProcessOptions {
  mongodbUri: string;
  database: string;
  dataDir: string;
  /** Folder for a V8 CPU profile, written when the process stops. */
  cpuProfileDir?: string;
}

export function startSystemProcess(options: SystemProcessOptions): Promise<SystemProcess> {
  const flags = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', ...flags, 'scripts/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      USAGE_PORT: '0',
      SPECIFICATION_PORT: '0',
      PARTY_PORT: '0',
      REST_PORT: '0',
      MONGODB_URI: options.mongodbUri,
      MONGODB_DB: options.database,
      DATA_DIR: options.dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail('printed no ready banner within 60 s'), 60_000);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`The system under test ${why}: ${stderr.trim()}`));
    };
    let ready = false;
    child.once('exit', (code) => ready || fail(`exited with code ${code}`));
    let gatewayUrl: string | undefined;
    let restUrl: string | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      gatewayUrl ??= /GraphQL gateway\s+(http:\/\/[^\s"\\]+)/.exec(line)?.[1];
      restUrl ??= /TMF635 REST facade\s+(http:\/\/[^/\s]+)/.exec(line)?.[1];
      if (ready || !gatewayUrl || !restUrl) return;
      ready = true;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        gatewayUrl,
        restUrl,
        async stop() {
          const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.kill('SIGINT');
          await exited;
          clearTimeout(force);
        },
      });
    });
  });
}
