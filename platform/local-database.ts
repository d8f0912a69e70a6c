import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectMongo, redactUri } from './mongo.js';

/**
 * The database launcher every entry point and the test setup use.
 *
 * - MONGODB_URI set: that server, checked with a ping.
 * - otherwise: the project's default database, FerretDB 2 on PostgreSQL 18 with DocumentDB
 *   (docs/database.md). scripts/db/build.sh provisions it on first use (minutes the first time,
 *   seconds after) and writes .tools/db.json; .tools/bin/usage-graph-db (scripts/ferretdb) then
 *   runs PostgreSQL (its files in DATA_DIR/postgres) and FerretDB, each on a free loopback port.
 *
 * usage-graph-db is the supervisor of both: it restarts PostgreSQL if it dies, and exits — stopping
 * PostgreSQL — when its stdin closes, so the database stops with this process even when this one is
 * killed outright (the pipe's write end closes with it). As root with the provisioned Debian root
 * it runs in private mount and pid namespaces, so neither a process nor a mount outlives it.
 */
export interface Database {
  uri: string;
  kind: 'external' | 'ferretdb';
  stop(): Promise<void>;
}

export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const supervisor = path.join(root, '.tools/bin/usage-graph-db');
const dbConfig = path.join(root, '.tools/db.json');
const buildScript = path.join(root, 'scripts/db/build.sh');
const howToProvide =
  'Set MONGODB_URI to a MongoDB 6+ server, or let the project provision its FerretDB 2 on PostgreSQL with DocumentDB (npm run db:build; docs/database.md).';

export interface StartDatabaseOptions {
  mongodbUri?: string;
  /** Folder for the embedded database's files (relative paths are from the project root). */
  dataDir: string;
  log?: (message: string) => void;
  /** For starting the database, after provisioning (which has no limit: the first takes minutes). */
  startTimeoutMs?: number;
}

export async function startDatabase(options: StartDatabaseOptions): Promise<Database> {
  if (options.mongodbUri) {
    await checkReachable(options.mongodbUri, `MongoDB at ${redactUri(options.mongodbUri)} does not answer`);
    return { uri: options.mongodbUri, kind: 'external', stop: async () => {} };
  }
  await provision(options.log);
  return startSupervisor(path.resolve(root, options.dataDir), options.startTimeoutMs ?? 60_000, options.log);
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

/**
 * Runs scripts/db/build.sh, passing its progress lines on as they come (the first run takes
 * minutes). On failure its last line is the one sentence that says what to do.
 */
function provision(log?: (message: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [buildScript], { stdio: ['ignore', 'ignore', 'pipe'] });
    // "already built" and "using the root" lines on every start are noise; the rest is progress,
    // passed on one line late so that a failure's last line goes into the error, not the log too.
    const show = (line: string) => {
      if (line && !/already built|using the PostgreSQL root|using this machine's|^db:build: ready\.$/.test(line)) (log ?? console.error)(line);
    };
    let last = '';
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (!line.trim()) return;
      show(last);
      last = line;
    });
    child.once('error', (error) =>
      reject(new DatabaseUnavailableError(`No database: scripts/db/build.sh could not be run (${error.message}). ${howToProvide}`)),
    );
    child.once('close', (code) => {
      if (code === 0 && existsSync(supervisor) && existsSync(dbConfig)) return (show(last), resolve());
      const sentence = last.replace(/^db:build: /, '');
      reject(new DatabaseUnavailableError(`No database: ${sentence || `scripts/db/build.sh exited with code ${code}`}`));
    });
  });
}

const refusedQuery = /\tERROR\tdocumentdb\/tracer\.go:\d+\tQuery\t/;

function startSupervisor(dataDir: string, timeoutMs: number, log?: (message: string) => void): Promise<Database> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(supervisor, ['-config', dbConfig, '-data-dir', dataDir, '-log-level', 'error'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    let ready = false;
    let stopping = false;
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr = `${stderr}${line}\n`.slice(-4_000);
      // The supervisor's own lines (creating the cluster, a PostgreSQL restart) are rare and worth a
      // log line; PostgreSQL's warnings only once running (before, they are in the failure message).
      // FerretDB logs each query the database refused (a duplicate key, a statement timeout, a
      // collection not created yet) at ERROR from its tracer; the client gets each as its own error,
      // so they are nobody's news in the operator's log.
      if (refusedQuery.test(line)) return;
      if (ready || line.startsWith('usage-graph-db: ')) (log ?? console.error)(`database: ${line}`);
    });
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new DatabaseUnavailableError(`No database: FerretDB on PostgreSQL ${why}${stderr ? ` (${stderr.trim()})` : ''}. ${howToProvide}`));
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
          ready = true;
          child.removeAllListeners('exit');
          child.once('exit', (code, signal) => {
            if (!stopping) (log ?? console.error)(`database: the database supervisor exited (${signal ?? `code ${code}`}); the database is gone.`);
          });
          resolve({ uri, kind: 'ferretdb', stop: () => ((stopping = true), stopChild(child)) });
        },
        (error: Error) => fail(error.message),
      );
    });
  });
}

/** Closing stdin is the supervisor's signal to stop (it stops FerretDB, then PostgreSQL). */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // PostgreSQL's fast shutdown gets 20 s in the supervisor; SIGKILL after that ends it all (in
    // the namespaced case unshare's --kill-child and the pid namespace take everything down).
    const force = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.stdin!.end();
  });
}
