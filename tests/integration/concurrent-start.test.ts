import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectMongo } from '../../platform/mongo.js';
import { Service } from '../support/processes.js';

/**
 * Instances of one subgraph started together on a fresh database (a deployment's first rollout)
 * create the same indexes at the same moment; DocumentDB's create_indexes can then lose a deadlock
 * to PostgreSQL's detector (40P01), and the loser used to exit. Each round here starts three usage
 * subgraph processes at once on a database of its own, and every one must come up. The deadlock is a
 * race that a round may or may not meet; tests/unit/index-retry.test.ts proves the retry itself.
 */
const rounds = 3;
let dataDir: string;
let client: MongoClient;
const started: Service[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.resolve(process.env.DATA_DIR ?? '.data', 'concurrent-start-'));
  client = await connectMongo(inject('mongodbUri'));
});
afterAll(async () => {
  await Promise.all(started.map((service) => service.stop()));
  for (let round = 0; round < rounds; round++) await client?.db(`${inject('databasePrefix')}concurrent_start_${round}`).dropDatabase();
  await client?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('usage subgraphs started together on a fresh database', () => {
  it('all come up, whichever of them loses a deadlock while creating the indexes', async () => {
    for (let round = 0; round < rounds; round++) {
      const env = {
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        MONGODB_URI: inject('mongodbUri'),
        MONGODB_DB: `${inject('databasePrefix')}concurrent_start_${round}`,
        DATA_DIR: dataDir,
        AUTH_HS256_SECRET: randomBytes(32).toString('base64url'),
        INTERNAL_AUTH_SECRET: randomBytes(32).toString('base64url'),
      };
      const services = [0, 1, 2].map(() => new Service('usage', { ...env, LOG_LEVEL: 'info' }));
      started.push(...services);
      const urls = await Promise.all(services.map((service) => service.start()));
      expect(new Set(urls).size).toBe(3);
      for (const service of services) expect(service.running, service.output()).toBe(true);
      const indexes = await client.db(env.MONGODB_DB).collection('productUsages').listIndexes().toArray();
      expect(indexes.length).toBeGreaterThan(10);
      await Promise.all(services.map((service) => service.stop()));
    }
  }, 180_000);
});
