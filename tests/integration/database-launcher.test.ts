import { createConnection } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, startDatabase } from '../../subgraphs/shared/local-database.js';
import { connectMongo } from '../../subgraphs/shared/mongo.js';

const portOf = (uri: string) => Number(new URL(uri).port);
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('the database launcher', () => {
  it('fails with one sentence that says how to provide a database when MONGODB_URI does not answer', async () => {
    const attempt = startDatabase({ mongodbUri: 'mongodb://127.0.0.1:1/', dataDir: '.data/unused' });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(attempt).rejects.toThrow(/^MongoDB at mongodb:\/\/127\.0\.0\.1:1\/ does not answer \(.+\)\. Set MONGODB_URI to a MongoDB 6\+ server/);
  });

  it.skipIf(Boolean(process.env.MONGODB_URI))('runs the embedded FerretDB on SQLite, keeps data across restarts and stops it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'usage-graph-launcher-'));
    try {
      const first = await startDatabase({ dataDir });
      expect(first.kind).toBe('ferretdb');
      const client = await connectMongo(first.uri);
      const build = await client.db('admin').command({ buildInfo: 1 });
      expect(build.ferretdb?.version ?? build.version).toBeTruthy();
      await client.db('launcher').collection('kept').insertOne({ _id: 'one' as never, value: 1 });
      await client.close();
      await first.stop();
      expect(await accepts(portOf(first.uri))).toBe(false);

      const second = await startDatabase({ dataDir });
      const again = await connectMongo(second.uri);
      expect(await again.db('launcher').collection('kept').findOne({ _id: 'one' as never })).toEqual({ _id: 'one', value: 1 });
      await again.close();
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
