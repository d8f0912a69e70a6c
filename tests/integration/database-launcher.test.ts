import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, startDatabase } from '../../platform/local-database.js';
import { connectMongo } from '../../platform/mongo.js';

const portOf = (uri: string) => Number(new URL(uri).port);
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
const until = async (condition: () => Promise<boolean>, timeoutMs: number) => {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if (await condition()) return true;
  }
  return condition();
};

describe('the database launcher', () => {
  it('fails with one sentence that says how to provide a database when MONGODB_URI does not answer', async () => {
    const attempt = startDatabase({ mongodbUri: 'mongodb://127.0.0.1:1/', dataDir: '.data/unused' });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(attempt).rejects.toThrow(/^MongoDB at mongodb:\/\/127\.0\.0\.1:1\/ does not answer \(.+\)\. Set MONGODB_URI to a MongoDB 6\+ server/);
  });

  it.skipIf(Boolean(process.env.MONGODB_URI))('runs FerretDB 2 on PostgreSQL 18 with DocumentDB, keeps data across restarts and stops it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'usage-graph-launcher-'));
    try {
      const first = await startDatabase({ dataDir });
      expect(first.kind).toBe('ferretdb');
      const client = await connectMongo(first.uri);
      const build = await client.db('admin').command({ buildInfo: 1 });
      expect(build.ferretdb?.version).toMatch(/^v2\./);
      await client
        .db('launcher')
        .collection('kept')
        .insertOne({ _id: 'one' as never, value: 1 });
      await client.close();
      // PostgreSQL's cluster is in the data folder, not in the provisioned root or elsewhere.
      expect(readFileSync(path.join(dataDir, 'postgres', 'PG_VERSION'), 'utf8').trim()).toBe('18');
      await first.stop();
      expect(await accepts(portOf(first.uri))).toBe(false);

      const second = await startDatabase({ dataDir });
      const again = await connectMongo(second.uri);
      expect(
        await again
          .db('launcher')
          .collection('kept')
          .findOne({ _id: 'one' as never }),
      ).toEqual({ _id: 'one', value: 1 });
      // Only one database at a time on one data folder (PostgreSQL's own guard cannot see across
      // the supervisor's pid namespaces).
      await expect(startDatabase({ dataDir })).rejects.toThrow(/another database is already running on/);
      await again.close();
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it.skipIf(Boolean(process.env.MONGODB_URI))('stops the database when the process that started it is killed with SIGKILL', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'usage-graph-killed-'));
    const launcher = path.resolve('platform/local-database.ts');
    const script = `import { startDatabase } from ${JSON.stringify(launcher)};
      const db = await startDatabase({ dataDir: ${JSON.stringify(dataDir)} });
      console.log(db.uri);
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const uri = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`the launcher exited with code ${code}`)));
      });
      expect(await accepts(portOf(uri))).toBe(true);
      child.kill('SIGKILL');
      // FerretDB goes at once (the supervisor sees stdin close), PostgreSQL with it.
      expect(await until(async () => !(await accepts(portOf(uri))), 20_000)).toBe(true);
      // The supervisor is gone too: the data folder is free for another start.
      const next = await startDatabase({ dataDir });
      await next.stop();
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
