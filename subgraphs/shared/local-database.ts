import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectMongo, redactUri } from './mongo.js';

/**
 * The database launcher every entry point and the test setup use.
 *
 * - MONGODB_URI set: that server, checked with a ping.
 * - otherwise: the embedded FerretDB 1.24 on SQLite, built once into .tools/bin by
 *   scripts/build-ferretdb.sh and started here on a free loopback port, its files under DATA_DIR.
 *
 * The embedded server is a child process that exits when its stdin closes, so it stops with this
 * process even when this one is killed outright.
 */
export interface Database {
  uri: string;
  kind: 'external' | 'ferretdb';
  stop(): Promise<void>;
}

export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ferretBinary = path.join(root, '.tools/bin/ferretdb-sqlite');
const buildScript = path.join(root, 'scripts/build-ferretdb.sh');
const howToProvide =
  'Set MONGODB_URI to a MongoDB 6+ server, or install Go 1.24+ so the project can build its embedded FerretDB (npm run db:build).';

export interface StartDatabaseOptions {
  mongodbUri?: string;
  /** Folder for the embedded database's files (relative paths are from the project root). */
  dataDir: string;
  log?: (message: string) => void;
  startTimeoutMs?: number;
}

export async function startDatabase(options: StartDatabaseOptions): Promise<Database> {
  if (options.mongodbUri) {
    await checkReachable(options.mongodbUri, `MongoDB at ${redactUri(options.mongodbUri)} does not answer`);
    return { uri: options.mongodbUri, kind: 'external', stop: async () => {} };
  }
  ensureFerretBuilt(options.log);
  return startFerret(path.resolve(root, options.dataDir, 'ferretdb'), options.startTimeoutMs ?? 30_000);
}

async function checkReachable(uri: string, failure: string): Promise<void> {
  try {
    const client = await connectMongo(uri, { serverSelectionTimeoutMS: 5_000 });
    await client.close();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseUnavailableError(`${failure} (${reason}). ${howToProvide}`);
  }
}

function ensureFerretBuilt(log?: (message: string) => void): void {
  const result = spawnSync('bash', [buildScript], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (result.stderr) log?.(result.stderr.trim());
  if (result.status !== 0 || !existsSync(ferretBinary)) {
    const detail = (result.stderr || result.error?.message || '').trim().split('\n').pop();
    throw new DatabaseUnavailableError(`No database: the embedded FerretDB could not be built (${detail}). ${howToProvide}`);
  }
}

function startFerret(sqliteDir: string, timeoutMs: number): Promise<Database> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(ferretBinary, ['-listen', '127.0.0.1:0', '-sqlite-dir', sqliteDir, '-log-level', 'error'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new DatabaseUnavailableError(`No database: the embedded FerretDB ${why}${stderr ? ` (${stderr.trim()})` : ''}. ${howToProvide}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs / 1000}s`), timeoutMs);
    child.once('error', (error) => fail(`could not be started: ${error.message}`));
    child.once('exit', (code) => fail(`exited with code ${code}`));

    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      const match = /^ready (mongodb:\/\/\S+)$/.exec(line);
      if (!match) return fail(`printed an unexpected first line: ${line}`);
      const uri = match[1]!;
      checkReachable(uri, 'The embedded FerretDB started but does not answer').then(
        () => {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve({ uri, kind: 'ferretdb', stop: () => stopChild(child) });
        },
        (error: Error) => fail(error.message),
      );
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
