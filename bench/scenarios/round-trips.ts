import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { connectMongo } from '../../platform/mongo.js';
import { startSystem } from '../../scripts/system.js';
import { v5Base } from '../../rest-adapter/routes/product-usage-v5.js';
import type { Scenario } from '../scenario.js';
import { table } from '../stats.js';

/**
 * Database commands per request, counted by the driver's command monitoring. That needs the
 * system's own MongoClient, so this scenario runs the system in the bench's process (startSystem,
 * as `npm start` does inside scripts/start.ts) over a client created with monitorCommands. Counts
 * do not depend on speed, so sharing the process costs nothing here.
 */
const query = `query BenchUsagePage($limit: Int) {
  productUsages(limit: $limit) { totalCount items { id usageSpecification { name } relatedParty { party { name } } } }
}`;
const sizes = [1, 10, 100];
const pageCollections = new Set(['productUsages', 'productUsageSpecifications', 'parties', 'partyRoles']);
// Counts do not vary from one request to the next (the integration test pins them); twice shows it.
const repeats = 2;

export const roundTrips: Scenario = {
  name: 'round trips',
  async run({ mongodbUri, pagesDatabase, auth, log }) {
    const client = await connectMongo(mongodbUri, { monitorCommands: true });
    const seen: string[] = [];
    client.on('commandStarted', (event) => {
      // Only the collections a page reads: the REST adapter's hub-delivery loop polls its outbox
      // through the graph in the background, and its commands would otherwise land in any window.
      const collection = (event.command as Record<string, unknown>)[event.commandName];
      if (event.databaseName === pagesDatabase && typeof collection === 'string' && pageCollections.has(collection)) {
        seen.push(event.commandName);
      }
    });
    const systemConfig = loadConfig({
      ...auth.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      MONGODB_URI: mongodbUri,
      MONGODB_DB: pagesDatabase,
      GATEWAY_PORT: '0',
      USAGE_PORT: '0',
      SPECIFICATION_PORT: '0',
      PARTY_PORT: '0',
      REST_PORT: '0',
      // What the subgraphs do when asked: with the entity cache, the second request would fetch no names.
      ENTITY_CACHE_TTL_SECONDS: '0',
    });
    const system = await startSystem(systemConfig, client, createLogger('error'));
    const during = async (action: () => Promise<void>) => {
      const start = seen.length;
      await action();
      return seen.slice(start).sort();
    };
    const rows: string[][] = [];
    try {
      for (const [label, size, send] of [
        ...sizes.map(
          (size) =>
            [`GraphQL page of ${size} with specification and party names`, size, () => graphPage(system.gateway.url, size, auth.authorization)] as const,
        ),
        [`REST \`GET ${v5Base}/productUsage?limit=100\``, 100, () => restPage(system.rest.url, 100, auth.authorization)] as const,
      ]) {
        const runs: string[][] = [];
        for (let i = 0; i < repeats; i++) runs.push(await during(() => send().then((n) => void expectItems(n, size))));
        const same = runs.every((r) => r.join() === runs[0]!.join());
        rows.push([label, String(size), String(runs[0]!.length), runs[0]!.join(', '), same ? `same in all ${repeats}` : runs.map((r) => r.length).join(' / ')]);
        log(`round trips, ${label}: ${runs.map((r) => r.length).join('/')} commands`);
      }
    } finally {
      await system.close();
      await client.close();
    }
    const graphCounts = rows
      .slice(0, sizes.length)
      .map((r) => r[2])
      .join('/');
    return {
      title: 'Round trips per request',
      markdown: [
        `Database commands per request on the seeded data (command monitoring on the system's MongoClient, commands to`,
        `the collections of \`${pagesDatabase}\` a page reads, so the REST adapter's background outbox polling is left out; each request sent ${repeats} times). The GraphQL operation:`,
        '',
        '```graphql',
        query,
        '```',
        '',
        table(['request', 'usages', 'commands', 'which', 'repeats'], rows),
        '',
        `**What this means.** A page costs ${graphCounts} commands for 1/10/100 usages: the count does not grow with the page, ` +
          "because each subgraph resolves all of a page's references in one `_entities` call and its DataLoader turns " +
          'them into one `find` with `$in`. The REST list asks for no entity beyond the usages, so it costs the usage ' +
          "subgraph's `find` and count only.",
      ].join('\n'),
      summary: [`round trips for GraphQL pages of 1/10/100 usages: ${graphCounts}; REST page of 100: ${rows[sizes.length]![2]}`],
    };
  },
};

function expectItems(count: number, size: number): void {
  if (count !== size) throw new Error(`expected a page of ${size} usages, got ${count}`);
}

async function graphPage(url: string, limit: number, authorization: string): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query, variables: { limit } }),
  });
  type Item = { usageSpecification: { name: string | null } | null; relatedParty: { party: { name: string | null } | null }[] };
  const body = (await response.json()) as { data?: { productUsages: { items: Item[] } }; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`GraphQL page failed: ${JSON.stringify(body.errors)}`);
  const items = body.data.productUsages.items;
  if (items.some((item) => !item.usageSpecification?.name || item.relatedParty.some((related) => !related.party?.name))) {
    throw new Error('a usage came back without its specification or party names');
  }
  return items.length;
}

async function restPage(url: string, limit: number, authorization: string): Promise<number> {
  const response = await fetch(`${url}${v5Base}/productUsage?limit=${limit}`, { headers: { authorization } });
  if (response.status !== 200) throw new Error(`REST page failed with ${response.status}`);
  return ((await response.json()) as unknown[]).length;
}
