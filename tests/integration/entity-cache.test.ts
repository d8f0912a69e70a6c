import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopes, Scope } from '../../platform/caller.js';
import { createOrganization, createSpecification, createUsage } from '../support/fixtures.js';
import { startStack, type Stack } from '../support/stack.js';

// The gateway's entity cache (gateway/entity-cache.ts): parties and usage specifications named by a
// page come from memory the second time, and every way they can change makes the next read fresh.
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const page = `query($filter: ProductUsageFilter) {
  productUsages(filter: $filter, limit: 50) { items { id usageSpecification { name } relatedParty { role party { name } } } }
}`;
const rename = `mutation($id: ID!, $name: String!) { updateParty(id: $id, patch: { name: $name }) { id name } }`;

interface PageBody {
  data?: {
    productUsages: { items: { id: string; usageSpecification: { name: string | null } | null; relatedParty: { party: { name: string | null } | null }[] }[] };
  };
  errors?: unknown[];
}

async function read(stack: Stack, usageType: string, token = stack.token): Promise<PageBody> {
  const { status, body } = await stack.post(JSON.stringify({ query: page, variables: { filter: { usageType: [usageType] } } }), {
    authorization: `Bearer ${token}`,
  });
  expect(status, JSON.stringify(body)).toBe(200);
  expect((body as PageBody).errors).toBeUndefined();
  return body as PageBody;
}

const partyNames = (body: PageBody) => body.data!.productUsages.items.flatMap((u) => u.relatedParty.map((r) => r.party?.name ?? null));

/** A specification, an organization and `count` usages of a usage type of their own, all through the gateway. */
async function seed(stack: Stack, count = 3) {
  const usageType = `cache-${randomUUID()}`;
  const spec = await createSpecification(stack, `Spec ${usageType}`);
  const party = await createOrganization(stack, `Org ${usageType}`);
  for (let i = 0; i < count; i++) {
    await createUsage(stack, {
      usageType,
      usageSpecification: { id: spec.id },
      relatedParty: [{ role: 'customer', partyOrPartyRole: { id: party.id, type: 'PartyRef' } }],
    });
  }
  return { usageType, spec, party };
}

describe('the gateway entity cache', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('entity_cache');
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers a repeated page without asking the specification and party subgraphs again, with the same data', async () => {
    const { usageType, party } = await seed(stack);
    let first: PageBody | undefined;
    const cold = await stack.commands.during(async () => void (first = await read(stack, usageType)));
    let second: PageBody | undefined;
    const hitsBefore = stack.system.gateway.entityCache.hits;
    const warm = await stack.commands.during(async () => void (second = await read(stack, usageType)));
    // The specification and the party, each named by the three usages, answered from memory.
    expect(stack.system.gateway.entityCache.hits - hitsBefore).toBeGreaterThanOrEqual(2);
    expect(partyNames(first!)).toEqual([`Org ${usageType}`, `Org ${usageType}`, `Org ${usageType}`]);
    expect(second).toEqual(first);
    // Cold: the usages, then the specification and the party. Warm: the usages only.
    expect(cold.sort()).toEqual(['find', 'find', 'find']);
    expect(warm).toEqual(['find']);
    expect(party.id).toBeTruthy();
  });

  it('shows a renamed party on the very next read (the mutation evicts)', async () => {
    const { usageType, party } = await seed(stack, 1);
    expect(partyNames(await read(stack, usageType))).toEqual([`Org ${usageType}`]);
    const { status, body } = await stack.post(JSON.stringify({ query: rename, variables: { id: party.id, name: 'Renamed' } }));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(partyNames(await read(stack, usageType))).toEqual(['Renamed']);
  });

  it('never serves one tenant what another tenant read', async () => {
    const { usageType, party, spec } = await seed(stack, 1);
    expect(partyNames(await read(stack, usageType))).toEqual([`Org ${usageType}`]);
    // Tenant B's usage names tenant A's party and specification by id: B must not see their names.
    const tokenB = await stack.mintToken({ tenant: 'cache-tenant-b', subject: 'bob', scopes: allScopes.filter((s) => s !== Scope.HUB_DELIVER) });
    const create = `mutation($input: ProductUsageInput!) { createProductUsage(input: $input) { id } }`;
    const input = {
      usageType,
      usageSpecification: { id: spec.id },
      relatedParty: [{ role: 'customer', partyOrPartyRole: { id: party.id, type: 'PartyRef' } }],
    };
    const created = await stack.post(JSON.stringify({ query: create, variables: { input } }), { authorization: `Bearer ${tokenB}` });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const seenByB = await read(stack, usageType, tokenB);
    expect(seenByB.data!.productUsages.items).toHaveLength(1);
    expect(partyNames(seenByB)).toEqual([null]);
    expect(seenByB.data!.productUsages.items[0]!.usageSpecification?.name ?? null).toBeNull();
  });
});

describe('the entity cache across gateway instances and time', () => {
  let a: Stack;
  let b: Stack;
  let shortLived: Stack;
  beforeAll(async () => {
    a = await startStack('entity_cache_shared', { REDIS_URL: redisUrl });
    b = await startStack('entity_cache_shared', { REDIS_URL: redisUrl });
    shortLived = await startStack('entity_cache_ttl', { ENTITY_CACHE_TTL_SECONDS: '1' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await shortLived?.close();
  });

  it('a rename through one gateway evicts the party on the other (through Redis)', async () => {
    const { usageType, party } = await seed(a, 1);
    expect(partyNames(await read(b, usageType))).toEqual([`Org ${usageType}`]);
    const { status } = await a.post(JSON.stringify({ query: rename, variables: { id: party.id, name: 'Renamed on A' } }));
    expect(status).toBe(200);
    // The eviction travels through Redis; it is there within moments, not at the TTL (30 s).
    const deadline = Date.now() + 5_000;
    let names = partyNames(await read(b, usageType));
    while (names[0] !== 'Renamed on A' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      names = partyNames(await read(b, usageType));
    }
    expect(names).toEqual(['Renamed on A']);
  });

  it('a change written straight to the database shows once the TTL has passed', async () => {
    const { usageType, party } = await seed(shortLived, 1);
    expect(partyNames(await read(shortLived, usageType))).toEqual([`Org ${usageType}`]);
    await shortLived.db.collection<{ _id: string }>('parties').updateOne({ _id: party.id }, { $set: { name: 'Changed in the database' } });
    // Within the TTL the cached name may still show; after it, the new one must.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(partyNames(await read(shortLived, usageType))).toEqual(['Changed in the database']);
  });
});
