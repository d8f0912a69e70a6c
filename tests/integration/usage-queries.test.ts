import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartiesWithUsagesDocument, SpecificationWithUsagesDocument, UsagesDocument } from '../operations/generated.js';
import { createIndividual, createSpecification, createUsage } from '../support/fixtures.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
const ids: Record<string, string> = {};
let parties: { alice: string; bob: string };
let specs: { voice: string; data: string };

// Six usages over two parties and two specifications, created in this order.
const seed = [
  { key: 'v1', type: 'voice', status: 'rated', date: '2026-10-01T08:00:00Z', party: 'alice', spec: 'voice' },
  { key: 'v2', type: 'voice', status: 'billed', date: '2026-10-15T08:00:00Z', party: 'alice', spec: 'voice' },
  { key: 'd1', type: 'data', status: 'rated', date: '2026-11-01T00:00:00Z', party: 'alice', spec: 'data' },
  { key: 'd2', type: 'data', status: 'initialized', date: '2026-11-02T00:00:00Z', party: 'bob', spec: 'data' },
  { key: 'd3', type: 'data', status: 'rejected', date: '2026-11-03T00:00:00Z', party: 'bob', spec: 'data' },
  { key: 's1', type: 'sms', status: 'rated', date: '2026-11-20T12:30:00Z', party: 'bob', spec: 'voice' },
] as const;

beforeAll(async () => {
  stack = await startStack('usage_queries');
  parties = { alice: (await createIndividual(stack, 'Alice', 'A')).id, bob: (await createIndividual(stack, 'Bob', 'B')).id };
  specs = { voice: (await createSpecification(stack, 'Voice')).id, data: (await createSpecification(stack, 'Data')).id };
  for (const row of seed) {
    const usage = await createUsage(stack, {
      usageType: row.type,
      status: row.status,
      usageDate: row.date,
      usageSpecification: { id: specs[row.spec] },
      relatedParty: [{ role: 'customer', partyOrPartyRole: { id: parties[row.party] } }],
    });
    ids[row.key] = usage.id;
  }
});
afterAll(async () => {
  await stack?.close();
});

const keysOf = (items: { id: string }[]) => items.map((item) => Object.keys(ids).find((key) => ids[key] === item.id) ?? item.id);

async function list(variables: object) {
  const page = dataOf(await stack.request(UsagesDocument, variables as never)).productUsages;
  return { totalCount: page.totalCount, keys: keysOf(page.items) };
}

describe('productUsages', () => {
  it('lists newest first by default', async () => {
    expect(await list({})).toEqual({ totalCount: 6, keys: ['s1', 'd3', 'd2', 'd1', 'v2', 'v1'] });
  });

  it('filters by status (OR within a field) and usage type (AND across fields)', async () => {
    expect(await list({ filter: { status: ['rated', 'billed'] }, sort: [{ field: 'usageDate' }] })).toEqual({
      totalCount: 4,
      keys: ['v1', 'v2', 'd1', 's1'],
    });
    expect(await list({ filter: { status: ['rated'], usageType: ['data'] } })).toEqual({ totalCount: 1, keys: ['d1'] });
    expect(await list({ filter: { status: [] } })).toEqual({ totalCount: 0, keys: [] });
  });

  it('filters by related party, specification and usage date range', async () => {
    expect(await list({ filter: { relatedPartyId: [parties.bob] }, sort: [{ field: 'usageDate' }] })).toEqual({
      totalCount: 3,
      keys: ['d2', 'd3', 's1'],
    });
    expect(await list({ filter: { usageSpecificationId: [specs.voice] }, sort: [{ field: 'usageDate' }] })).toEqual({
      totalCount: 3,
      keys: ['v1', 'v2', 's1'],
    });
    expect(
      await list({ filter: { usageDate: { gte: '2026-11-01T00:00:00Z', lt: '2026-11-03T00:00:00Z' } }, sort: [{ field: 'usageDate', direction: 'DESC' }] }),
    ).toEqual({ totalCount: 2, keys: ['d2', 'd1'] });
  });

  it('sorts on several keys and pages with offset and limit, totalCount staying whole', async () => {
    const sort = [{ field: 'usageType' as const }, { field: 'usageDate' as const, direction: 'DESC' as const }];
    expect(await list({ sort })).toEqual({ totalCount: 6, keys: ['d3', 'd2', 'd1', 's1', 'v2', 'v1'] });
    expect(await list({ sort, offset: 2, limit: 3 })).toEqual({ totalCount: 6, keys: ['d1', 's1', 'v2'] });
    expect(await list({ sort, offset: 6, limit: 3 })).toEqual({ totalCount: 6, keys: [] });
  });
});

describe('generic conditions (where) and sort paths', () => {
  it('filters on any catalogue path with operators, the same path twice included', async () => {
    expect(
      await list({
        filter: {
          where: [
            { path: 'relatedParty.partyOrPartyRole.id', values: [parties.alice] },
            { path: 'usageDate', op: 'gte', values: ['2026-10-10T00:00:00Z'] },
            { path: 'usageDate', op: 'lt', values: ['2026-11-02T00:00:00Z'] },
          ],
        },
        sort: [{ path: 'usageDate', direction: 'DESC' }],
      }),
    ).toEqual({ totalCount: 2, keys: ['d1', 'v2'] });
  });

  it('refuses an unknown path or a value of the wrong type as BAD_USER_INPUT', async () => {
    for (const filter of [{ where: [{ path: 'secret', values: ['x'] }] }, { where: [{ path: 'usageDate', op: 'gt' as const, values: [42] }] }]) {
      const result = await stack.request(UsagesDocument, { filter });
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
  });
});

describe('reverse lookups', () => {
  it('walks from parties to their usages and on to each usage specification', async () => {
    const result = dataOf(await stack.request(PartiesWithUsagesDocument, { filter: { id: [parties.alice, parties.bob] }, usageLimit: 2 }));
    const byId = Object.fromEntries(result.parties.items.map((p) => [p.id, p]));
    expect(byId[parties.alice]!.productUsages.totalCount).toBe(3);
    expect(byId[parties.bob]!.productUsages.totalCount).toBe(3);
    const expectedAlice = [ids.v1!, ids.v2!, ids.d1!].sort().slice(0, 2);
    expect(byId[parties.alice]!.productUsages.items.map((u) => u.id)).toEqual(expectedAlice);
    for (const usage of byId[parties.alice]!.productUsages.items) {
      expect(['Voice', 'Data']).toContain(usage.usageSpecification?.name);
    }
  });

  it('walks from a specification to its usages', async () => {
    const spec = dataOf(await stack.request(SpecificationWithUsagesDocument, { id: specs.data, limit: 10 })).productUsageSpecification;
    expect(spec?.name).toBe('Data');
    expect(spec?.productUsages.totalCount).toBe(3);
    expect(spec?.productUsages.items.map((u) => u.id)).toEqual([ids.d1!, ids.d2!, ids.d3!].sort());
  });
});
