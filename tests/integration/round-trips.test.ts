import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartiesWithUsagesDocument, UsagesWithRelationsDocument } from '../operations/generated.js';
import { createIndividual, createSpecification } from '../support/fixtures.js';
import { Scope } from '../../platform/caller.js';
import { signCaller } from '../../platform/internal-signature.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';
import { waitUntil } from '../support/wait.js';
import { createLogger } from '../../platform/logger.js';
import { repairRollups } from '../../subgraphs/usage/rollups/repair.js';

// Federation's point is that a page costs a fixed number of database commands whatever its size:
// each subgraph resolves all the references of a page in one `_entities` call, and its DataLoader
// turns them into one `find` with `$in`. The gateway's entity cache is off here: these count what the
// subgraphs do when they are asked (tests/integration/entity-cache.test.ts counts what the cache saves).
let stack: Stack;
let partyIds: string[];
let usageCount = 0;

beforeAll(async () => {
  stack = await startStack('round_trips', { ENTITY_CACHE_TTL_SECONDS: '0' });
  const specIds = await Promise.all(Array.from({ length: 20 }, (_, i) => createSpecification(stack, `Spec ${i}`).then((s) => s.id)));
  partyIds = await Promise.all(Array.from({ length: 40 }, (_, i) => createIndividual(stack, `Party`, `${i}`).then((p) => p.id)));
  // Inserted through the driver to keep set-up fast; the reads under test go through the gateway.
  const now = Date.now();
  const docs = Array.from({ length: 120 }, (_, i) => ({
    _id: `usage-${String(i).padStart(4, '0')}`,
    // Written straight to the database, so stamped as the repository would (the stack's token's tenant).
    tenant: 'test-tenant',
    type: 'ProductUsage',
    status: 'rated',
    creationDate: new Date(now + i),
    lastUpdate: new Date(now + i),
    usageCharacteristic: [],
    usageProductPrice: [],
    ratedProductUsage: [],
    externalIdentifier: [],
    usageSpecification: { id: specIds[i % specIds.length] },
    relatedParty: [
      { role: 'customer', partyOrPartyRole: { id: partyIds[i % partyIds.length], type: 'PartyRef' } },
      { role: 'payer', partyOrPartyRole: { id: partyIds[(i * 7 + 3) % partyIds.length], type: 'PartyRef' } },
    ],
  }));
  await stack.db.collection('productUsages').insertMany(docs as never[]);
  // Written around the API: the rollups behind the count are brought in line as an operator would.
  await repairRollups(stack.db, createLogger('warn'));
  usageCount = docs.length;
});
afterAll(async () => {
  await stack?.close();
});

async function pageCommands(limit: number) {
  let items = 0;
  const commands = await stack.commands.during(async () => {
    const page = dataOf(await stack.request(UsagesWithRelationsDocument, { limit })).productUsages;
    items = page.items.length;
    expect(page.totalCount).toBe(usageCount);
    for (const usage of page.items) {
      expect(usage.usageSpecification?.name).toMatch(/^Spec \d+$/);
      for (const related of usage.relatedParty) expect(related.party?.name).toMatch(/^Party \d+$/);
    }
  });
  return { items, commands: commands.sort() };
}

describe('database round trips per page', () => {
  it('a page of usages with specification and party names costs the same 5 commands for 1, 10 and 100 usages', async () => {
    const pages = [await pageCommands(1), await pageCommands(10), await pageCommands(100)];
    expect(pages.map((p) => p.items)).toEqual([1, 10, 100]);
    for (const page of pages) {
      // usage: find, and the count from the rollups (a find of the tenant's marked hours, an aggregate
      // of the hourly counts); specification: one find; party: one find.
      expect(page.commands).toEqual(['aggregate', 'find', 'find', 'find', 'find']);
    }
    console.log(`round trips for pages of 1/10/100 usages: ${pages.map((p) => p.commands.length).join('/')}`);
  });

  it('reverse lookups cost one aggregate for all parents plus one find per parent with usages on the page', async () => {
    const commands = await stack.commands.during(async () => {
      const result = dataOf(await stack.request(PartiesWithUsagesDocument, { filter: { id: partyIds.slice(0, 10) }, usageLimit: 5 }));
      expect(result.parties.items).toHaveLength(10);
      for (const party of result.parties.items) {
        expect(party.productUsages.totalCount).toBeGreaterThan(0);
        expect(party.productUsages.items.length).toBe(Math.min(5, party.productUsages.totalCount));
      }
    });
    const counts = commands.reduce<Record<string, number>>((acc, name) => ({ ...acc, [name]: (acc[name] ?? 0) + 1 }), {});
    // parties: find; usage: 1 aggregate (counts) + 10 finds (one per party); specification: 1 find.
    expect(counts).toEqual({ find: 12, aggregate: 1 });
  });
});

/** `_entities` for `representations`, sent to a subgraph as the gateway sends it (signed caller headers). */
async function entities(subgraph: string, representations: { __typename: string; id: string }[]) {
  const { url } = stack.system.subgraphs.find((s) => s.name === subgraph)!;
  const types = [...new Set(representations.map((r) => r.__typename))];
  const query = `query($representations: [_Any!]!) { _entities(representations: $representations) { ${types.map((t) => `... on ${t} { id }`).join(' ')} } }`;
  const caller = { tenant: 'test-tenant', subject: 'round-trips', scopes: [Scope.USAGE_READ, Scope.ADMIN] };
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signCaller(stack.internalAuth.secret, caller) },
    body: JSON.stringify({ query, variables: { representations } }),
  });
  const body = (await response.json()) as { data?: { _entities: ({ id: string } | null)[] }; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data!._entities;
}

describe('entity references', () => {
  it('every entity type a subgraph resolves costs one find per request, however many references', async () => {
    const usageTypes = ['ProductUsage', 'Hub', 'ExportJob', 'UsageIngestJob'];
    const specificationTypes = ['ProductUsageSpecification', 'IngestionRule', 'Kpi'];
    const references = (types: string[]) => types.flatMap((__typename) => Array.from({ length: 5 }, (_, i) => ({ __typename, id: `missing-${i}` })));
    for (const [subgraph, types] of [
      ['usage', usageTypes],
      ['specification', specificationTypes],
    ] as const) {
      let resolved: unknown[] = [];
      const commands = await stack.commands.during(async () => {
        resolved = await entities(subgraph, references([...types]));
      });
      expect(resolved).toHaveLength(types.length * 5);
      // One find per type: five references of a type read through its DataLoader, not five queries.
      // (during() leaves out the hubs collection, which the delivery worker polls all the time: Hub
      // references are counted in "hubs and webhook deliveries", with the worker stopped.)
      expect(commands, `${subgraph}: ${commands.join(', ')}`).toEqual(types.filter((t) => t !== 'Hub').map(() => 'find'));
    }
  });
});

describe('hubs and webhook deliveries', () => {
  const graph = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
    const { status, body } = await stack.post(JSON.stringify({ query, variables }), token ? { authorization: `Bearer ${token}` } : {});
    const answer = body as { data?: Record<string, unknown>; errors?: unknown[] };
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(status).toBe(200);
    return answer.data!;
  };
  const hubFinds = (commands: { name: string; collection: string }[]) => commands.filter((c) => c.collection === 'hubs' && c.name === 'find').length;

  it('a lease resolves the hubs of all its deliveries, and Hub references, with one find on hubs', async () => {
    // No delivery worker while this runs (it lives in the REST facade): every command on the
    // outbox's collections is this test's, and the deliveries wait to be leased here.
    await stack.system.rest.close();
    try {
      const create = `mutation ($i: HubInput!) { createHub(input: $i) { id } }`;
      const hubIds: string[] = [];
      for (let i = 0; i < 5; i++) {
        const input = { callback: `http://127.0.0.1:9/round-trips-${i}`, apiVersion: 'v5', filter: { usageType: ['round-trips-hub'] } };
        hubIds.push(((await graph(create, { i: input })).createHub as { id: string }).id);
      }
      await graph(`mutation { createProductUsage(input: { usageType: "round-trips-hub" }) { id } }`);
      await waitUntil(
        'a delivery for each of the 5 hubs',
        () => stack.db.collection('hubDeliveries').countDocuments({ hubId: { $in: hubIds } }),
        (count) => count === 5,
      );

      const worker = await stack.hubDeliveryToken();
      const lease = `mutation { leaseHubDeliveries(worker: "round-trips", limit: 500, leaseSeconds: 60) { id hub { id callback apiVersion } } }`;
      let leased: { hub: { id: string } }[] = [];
      const leaseCommands = await stack.commands.on(async () => {
        leased = (await graph(lease, {}, worker)).leaseHubDeliveries as typeof leased;
      });
      expect(leased.map((d) => d.hub.id).sort()).toEqual([...hubIds].sort());
      // Five deliveries, five hubs: their `hub` fields are one DataLoader batch.
      expect(hubFinds(leaseCommands), leaseCommands.map((c) => `${c.name} ${c.collection}`).join(', ')).toBe(1);

      let resolved: unknown[] = [];
      const referenceCommands = await stack.commands.on(async () => {
        resolved = await entities(
          'usage',
          hubIds.map((id) => ({ __typename: 'Hub', id })),
        );
      });
      expect(resolved).toHaveLength(5);
      expect(referenceCommands.map((c) => `${c.name} ${c.collection}`)).toEqual(['find hubs']);
      for (const id of hubIds) await graph(`mutation ($id: ID!) { deleteHub(id: $id) { id } }`, { id });
    } finally {
      await stack.startRest();
    }
  });
});
