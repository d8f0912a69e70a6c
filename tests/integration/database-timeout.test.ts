import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { backgroundComment } from '../../platform/mongo.js';

// A read the database cannot finish within DB_TIMEOUT_MS: each command carries it as maxTimeMS, the
// database (FerretDB 2 on DocumentDB: a PostgreSQL statement timeout) cancels the query, and the
// client gets GATEWAY_TIMEOUT / 504 naming the database, not INTERNAL_SERVER_ERROR or a 500, and
// long before the gateway's own timeout. The slow read is a real one: a filter no index serves,
// over 60,000 usages of one tenant (about 25 ms of scanning here, against a 6 ms bound).
const timeoutMs = 6;
let stack: Stack;
const commands: { name: string; collection: unknown; maxTimeMS: unknown }[] = [];
beforeAll(async () => {
  stack = await startStack('database_timeout', { DB_TIMEOUT_MS: String(timeoutMs) });
  const usages = stack.db.collection('productUsages');
  const now = new Date();
  for (let start = 0; start < 60_000; start += 10_000) {
    await usages.insertMany(
      Array.from({ length: 10_000 }, (_, i) => ({
        _id: `slow-${start + i}` as never,
        tenant: 'test-tenant',
        usageType: 'slow',
        description: `usage ${start + i}`,
        creationDate: now,
        lastUpdate: now,
      })),
    );
  }
  stack.db.client.on('commandStarted', (event) => {
    // Background workers' reads (their comment says so: the rollup maintainer, the sweeps) have no request to bound.
    if (event.databaseName === stack.db.databaseName && event.command.comment !== backgroundComment)
      commands.push({ name: event.commandName, collection: event.command[event.commandName], maxTimeMS: event.command.maxTimeMS });
  });
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const unindexed = JSON.stringify({ query: '{ productUsages(filter: { where: [{ path: "description", op: eq, values: ["none"] }] }) { items { id } } }' });

describe('a read the database does not finish in DB_TIMEOUT_MS', () => {
  it('is sent with maxTimeMS, and answered GATEWAY_TIMEOUT through GraphQL and 504 through TMF', async () => {
    commands.length = 0;
    const started = performance.now();
    const graph = await stack.post(unindexed);
    expect(graph.body).toEqual({
      data: null,
      errors: [
        {
          message: 'Listing usages: the database did not answer in time; try again.',
          path: ['productUsages', 'items'],
          extensions: { code: 'GATEWAY_TIMEOUT' },
        },
      ],
    });
    expect(commands).toContainEqual({ name: 'find', collection: 'productUsages', maxTimeMS: timeoutMs });

    const rest = await stack.rest('GET', '/tmf-api/productUsageManagement/v5/productUsage?description=none');
    expect(rest.status).toBe(504);
    expect(rest.body).toEqual({
      '@type': 'Error',
      code: '504',
      reason: 'Gateway Timeout',
      message: expect.stringMatching(/: the database did not answer in time; try again\.$/),
      status: '504',
    });
    // The database's own bound answered, not the gateway's (SUBGRAPH_TIMEOUT_MS, 30 s).
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('bounds every read a request makes: lists, counts and lookups by id', async () => {
    commands.length = 0;
    await stack.post(JSON.stringify({ query: '{ productUsages(limit: 1) { totalCount items { id } } productUsage(id: "slow-1") { id } }' }));
    // The page and the lookup read productUsages; the unfiltered count reads the rollups (their marks, their hourly counts).
    const reads = commands.filter(
      (c) => ['productUsages', 'rollupMarks', 'usageHourRollups'].includes(String(c.collection)) && ['find', 'aggregate', 'count'].includes(c.name),
    );
    expect(new Set(reads.map((c) => c.collection))).toEqual(new Set(['productUsages', 'rollupMarks', 'usageHourRollups']));
    expect(reads.length).toBeGreaterThanOrEqual(4);
    for (const read of reads) expect(read.maxTimeMS, read.name).toBe(timeoutMs);
  });
});
