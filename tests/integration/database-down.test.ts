import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config.js';
import { startDatabase } from '../../platform/local-database.js';
import { createLogger } from '../../platform/logger.js';
import { connectMongo } from '../../platform/mongo.js';
import { startSystem } from '../../scripts/system.js';
import { allScopes } from '../../platform/caller.js';
import { mintToken } from '../../platform/tokens.js';

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
      for (const url of [
        system.gateway.url.replace('/graphql', '/readyz'),
        `${system.rest.url}/readyz`,
        ...system.subgraphs.map((s) => s.url.replace('/graphql', '/readyz')),
      ]) {
        const response = await fetch(url);
        expect({ url, status: response.status, body: await response.json() }).toEqual({ url, status: 200, body: { status: 'ready' } });
      }
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

      // Readiness says what health does not: every service reports the database that does not answer.
      const ready = async (url: string) => {
        const response = await fetch(url);
        return { status: response.status, body: (await response.json()) as unknown };
      };
      const usage = system.subgraphs.find((s) => s.name === 'usage')!.url.replace('/graphql', '/readyz');
      const databaseGone = {
        status: 'unavailable',
        unavailable: { database: expect.stringMatching(/^the database (does not answer|did not answer within 2 s)$/) },
      };
      expect(await ready(usage)).toEqual({ status: 503, body: databaseGone });
      const gateway = await ready(system.gateway.url.replace('/graphql', '/readyz'));
      expect(gateway).toEqual({
        status: 503,
        body: {
          status: 'unavailable',
          unavailable: {
            usage: 'the usage service is not ready',
            specification: 'the specification service is not ready',
            party: 'the party service is not ready',
          },
        },
      });
      expect(await ready(`${system.rest.url}/readyz`)).toEqual({
        status: 503,
        body: { status: 'unavailable', unavailable: { gateway: 'the gateway is not ready' } },
      });
    } finally {
      await system.close();
      await client.close();
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
