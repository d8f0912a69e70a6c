import { MongoClient, MongoServerError, type Db, type MongoClientOptions } from 'mongodb';
import { conflict, gatewayTimeout, serviceUnavailable } from './errors.js';
import { inClientSpan } from './tracing.js';

/** Driver options shared by every connection the project opens. */
export function clientOptions(extra: MongoClientOptions = {}): MongoClientOptions {
  return {
    // Fail a request in seconds when the database is gone, rather than hanging the gateway.
    serverSelectionTimeoutMS: 5_000,
    // FerretDB 2 does not implement retryable writes: it ignores a write's txnNumber (the same $inc
    // sent twice in one session with one txnNumber applies twice, tried on 2.7), so a retry is not safe.
    retryWrites: false,
    // Command events feed the database series of /metrics (platform/metrics.ts, instrumentDatabase).
    monitorCommands: true,
    ...extra,
  };
}

export async function connectMongo(uri: string, options: MongoClientOptions = {}): Promise<MongoClient> {
  const client = new MongoClient(uri, clientOptions(options));
  await client.connect();
  await client.db('admin').command({ ping: 1 });
  return client;
}

const commandTimeouts = new WeakMap<Db, number>();

/**
 * The application's database on `client`, with `timeoutMs` (DB_TIMEOUT_MS) as the most a request's
 * read may take: repositories send it as `maxTimeMS` (commandTimeoutOf), so the database itself
 * gives up on a query nobody waits for any more instead of scanning on after the client has gone.
 * Not the driver's `timeoutMS`: driver 7 deprecated it and it has no effect.
 */
export function openDatabase(client: MongoClient, name: string, timeoutMs: number): Db {
  const db = client.db(name);
  commandTimeouts.set(db, timeoutMs);
  return db;
}

/** The maxTimeMS for reads on `db` (undefined for a database not opened by openDatabase: no bound). */
/**
 * The `comment` of the commands background workers send (the rollup maintainer, the outbox sweep):
 * it names them in the database's logs and `currentOp`, and lets a test leave them out of the
 * commands a request caused (tests/support/stack.ts, CommandLog).
 */
export const backgroundComment = 'usage-graph background';

export const commandTimeoutOf = (db: Db): number | undefined => commandTimeouts.get(db);

/** Hides credentials when a URI is printed. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^@/]+)@/, '//***@');
}

const networkErrorNames = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'PoolClearedError',
]);

/** MaxTimeMSExpired: the database cancelled the command at its maxTimeMS. */
const maxTimeExpired = 50;

/**
 * FerretDB 2 answers a command it could not run because PostgreSQL is gone (killed, restarting,
 * shutting down) with InternalError (code 1) carrying PostgreSQL's or pgx's words: its error mapping
 * leaves SQLSTATE classes 08 and 57 unmapped ("Unmapped error code" in its log). To the client that is
 * the database being unavailable, not a bug (found by tests/integration/faults.test.ts).
 */
const backendGone =
  /failed to connect to `|the database system is (starting up|shutting down|not yet accepting connections|in recovery mode)|terminating connection due to (unexpected postmaster exit|administrator command|crash of another server process)|conn closed|unexpected EOF/;
const internalError = 1;

/**
 * Repositories run every driver call through this: a duplicate key becomes CONFLICT, a lost
 * database SERVICE_UNAVAILABLE, a command past DB_TIMEOUT_MS GATEWAY_TIMEOUT; anything else is
 * rethrown for the error formatter to mask.
 */
export async function withDriverErrors<T>(operation: () => Promise<T>, what: string): Promise<T> {
  try {
    // A span of the service whose request this is, when traces are exported (platform/tracing.ts).
    return await inClientSpan(what, { 'db.system': 'mongodb' }, operation);
  } catch (error) {
    if (error instanceof MongoServerError && error.code === 11000) {
      throw conflict(`${what}: a record with the same key already exists.`);
    }
    if ((error instanceof MongoServerError && error.code === maxTimeExpired) || (error instanceof Error && error.name === 'MongoOperationTimeoutError')) {
      throw gatewayTimeout(`${what}: the database did not answer in time; try again.`);
    }
    if (
      (error instanceof Error && networkErrorNames.has(error.name)) ||
      (error instanceof MongoServerError && error.code === internalError && backendGone.test(error.message))
    ) {
      throw serviceUnavailable(`${what}: the database is unavailable; try again shortly.`);
    }
    throw error;
  }
}

export type { Db };
