import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../subgraphs/shared/config.js';
import { startDatabase } from '../../subgraphs/shared/local-database.js';
import { createLogger } from '../../subgraphs/shared/logger.js';
import { connectMongo } from '../../subgraphs/shared/mongo.js';
import { startSystem } from '../../scripts/system.js';
import { allScopes } from '../../subgraphs/shared/caller.js';
import { mintToken } from '../../subgraphs/shared/tokens.js';

// Its own embedded database, so that stopping it leaves the run's shared database alone.
describe.skipIf(Boolean(process.env.MONGODB_URI))('when the database stops', () => {
  it('clients get SERVICE_UNAVAILABLE with a clean message, and the gateway keeps answering', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'usage-graph-down-'));
    const database = await startDatabase({ dataDir });
    const keys = { AUTH_HS256_SECRET: randomBytes(32).toString('hex'), INTERNAL_AUTH_SECRET: randomBytes(32).toString('hex') };
    const config = loadConfig({
      NODE_ENV: 'test',
      GATEWAY_PORT: '0',
      USAGE_PORT: '0',
      SPECIFICATION_PORT: '0',
      PARTY_PORT: '0',
      REST_PORT: '0',
      LOG_LEVEL: 'error',
      ...keys,
    });
    const token = await mintToken({ tenant: 't', subject: 'test', scopes: allScopes }, { secret: keys.AUTH_HS256_SECRET, issuer: 'test', ttlSeconds: 600 });
    const client = await connectMongo(database.uri, { serverSelectionTimeoutMS: 1_000 });
    const system = await startSystem(config, client, createLogger('error'));
    const ask = async (query: string) =>
      (
        await fetch(system.gateway.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query }),
        })
      ).json();
    try {
      expect(await ask('{ productUsages { totalCount } }')).toEqual({ data: { productUsages: { totalCount: 0 } } });
      await database.stop();
      const result = (await ask('{ productUsages { totalCount } }')) as { errors: { message: string; extensions: object }[] };
      expect(result.errors).toEqual([
        {
          message: 'Counting usages: the database is unavailable; try again shortly.',
          path: ['productUsages', 'totalCount'],
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ]);
      expect((await fetch(system.gateway.url.replace('/graphql', '/healthz'))).status).toBe(200);
    } finally {
      await system.close();
      await client.close();
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
