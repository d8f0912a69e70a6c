import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createSpecification, createUsage } from '../support/fixtures.js';
import { startStack, type Stack } from '../support/stack.js';

// QUERY_PLANNER: the Rust planner (default) and the runtime's JavaScript planner answer alike, on
// the same database, for a federated page, a failed root field and a variable of the wrong type.
let rust: Stack;
let js: Stack;
beforeAll(async () => {
  rust = await startStack('query_planner');
  js = await startStack('query_planner', { QUERY_PLANNER: 'js', ENTITY_CACHE_TTL_SECONDS: '0' });
  const spec = await createSpecification(rust, 'Planner spec');
  const party = await createOrganization(rust, 'Planner org');
  for (let i = 0; i < 3; i++) {
    await createUsage(rust, {
      usageType: 'planner',
      description: `usage ${i}`,
      usageSpecification: { id: spec.id },
      relatedParty: [{ role: 'customer', partyOrPartyRole: { id: party.id, type: 'PartyRef' } }],
    });
  }
});
afterAll(async () => {
  await rust?.close();
  await js?.close();
});

const both = async (body: object) => {
  const [a, b] = await Promise.all([rust, js].map((stack) => stack.post(JSON.stringify(body))));
  return [a!, b!] as const;
};

describe('the query planners', () => {
  it('answer a federated page the same', async () => {
    const query = `{ productUsages(filter: { usageType: ["planner"] }, sort: [{ path: "description", direction: ASC }]) {
      totalCount items { description usageSpecification { name } relatedParty { role party { name } } } } }`;
    const [a, b] = await both({ query });
    expect(a.status).toBe(200);
    expect((a.body as { data: { productUsages: { totalCount: number } } }).data.productUsages.totalCount).toBe(3);
    expect(JSON.stringify(a.body)).toContain('Planner org');
    expect(b).toEqual(a);
  });

  it('answer data: null with the code when a non-null root field fails', async () => {
    const [a, b] = await both({ query: '{ productUsages(limit: 0) { totalCount } }' });
    for (const { status, body } of [a, b]) {
      expect(status).toBe(200);
      expect(body).toMatchObject({ data: null, errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });
    }
  });

  it('answer 400 BAD_USER_INPUT for a variable of the wrong type', async () => {
    const [a, b] = await both({ query: 'query($l: Int) { productUsages(limit: $l) { totalCount } }', variables: { l: 'ten' } });
    for (const { status, body } of [a, b]) {
      expect(status).toBe(400);
      expect(body).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });
      expect(JSON.stringify(body)).not.toMatch(/INTERNAL_SERVER_ERROR|stack/);
    }
  });
});
