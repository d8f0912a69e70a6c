import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../platform/config.js';
import { startDatabase } from '../../platform/local-database.js';
import { connectMongo } from '../../platform/mongo.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongodbUri: string;
    /** Prefix of every database this run creates, so tests never touch a user's data. */
    databasePrefix: string;
  }
}

/**
 * Starts the real database once for the integration run: MONGODB_URI when set, otherwise the
 * embedded FerretDB with its files in DATA_DIR/test (apart from the data `npm start` keeps).
 * Every database the run created is dropped at the end.
 */
export default async function setup(project: TestProject) {
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const database = await startDatabase({
    mongodbUri: config.mongodbUri,
    dataDir: path.join(config.dataDir, 'test'),
    log: (message) => console.log(message),
  });
  const databasePrefix = `test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}_`;
  project.provide('mongodbUri', database.uri);
  project.provide('databasePrefix', databasePrefix);

  return async () => {
    const client = await connectMongo(database.uri);
    try {
      const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
      for (const { name } of databases) {
        if (name.startsWith(databasePrefix)) await client.db(name).dropDatabase();
      }
    } finally {
      await client.close();
      await database.stop();
    }
  };
}
