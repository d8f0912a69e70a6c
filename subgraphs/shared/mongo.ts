import { MongoClient, MongoServerError, type Db, type MongoClientOptions } from 'mongodb';
import { conflict, serviceUnavailable } from './errors.js';

/** Driver options shared by every connection the project opens. */
export function clientOptions(extra: MongoClientOptions = {}): MongoClientOptions {
  return {
    // Fail a request in seconds when the database is gone, rather than hanging the gateway.
    serverSelectionTimeoutMS: 5_000,
    // FerretDB does not implement retryable writes; MongoDB does not need them for single-document writes here.
    retryWrites: false,
    ...extra,
  };
}

export async function connectMongo(uri: string, options: MongoClientOptions = {}): Promise<MongoClient> {
  const client = new MongoClient(uri, clientOptions(options));
  await client.connect();
  await client.db('admin').command({ ping: 1 });
  return client;
}

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

/**
 * Repositories run every driver call through this: a duplicate key becomes CONFLICT, a lost
 * database SERVICE_UNAVAILABLE; anything else is rethrown for the error formatter to mask.
 */
export async function withDriverErrors<T>(operation: () => Promise<T>, what: string): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof MongoServerError && error.code === 11000) {
      throw conflict(`${what}: a record with the same key already exists.`);
    }
    if (error instanceof Error && networkErrorNames.has(error.name)) {
      throw serviceUnavailable(`${what}: the database is unavailable; try again shortly.`);
    }
    throw error;
  }
}

export type { Db };
