import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../rest-adapter/spec/validators.js';
import { startStack, type Stack } from '../support/stack.js';

// The TMF635 v4 conformance kit's flow, reproduced request for request (base {{TMF635}} =
// /tmf-api/usageManagement/v4/), so a regression shows here before certification. Every body is
// also validated against the v4 specification's own schemas.
const base = '/tmf-api/usageManagement/v4';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('rest_v4_ctk');
});
afterAll(async () => {
  await stack?.close();
});

const expectValid = (schema: Parameters<typeof validate>[0], body: unknown) => expect(validate(schema, body), JSON.stringify(body)).toEqual([]);

describe('TMF635 v4 conformance flow', () => {
  let specification: { id: string; href: string; name: string };
  let usage: { id: string; href: string; usageSpecification: { id: string } };

  it('0. answers the unauthenticated preflight GET {base}/usage with 200 and an array', async () => {
    // Sent without a token, as the kit does (TMF_ANONYMOUS_PREFLIGHT, docs/security.md).
    const response = await stack.rest('GET', `${base}/usage`, undefined, { authorization: null });
    expect(response.status).toBe(200);
    expect(Array.isArray(response.body)).toBe(true);
  });

  it('1. creates a usage specification from {"name"} (201, id, href, name)', async () => {
    const response = await stack.rest('POST', `${base}/usageSpecification`, { name: 'CTK usage specification' });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toContain('application/json');
    specification = response.body;
    expect(specification).toMatchObject({ id: expect.any(String), href: expect.any(String), name: 'CTK usage specification' });
    expect(response.headers.get('location')).toBe(specification.href);
    expect(specification.href).toMatch(new RegExp(`${base}/usageSpecification/${specification.id}$`));
    expectValid('v4.UsageSpecification', specification);
  });

  it('2. creates a usage from {"usageSpecification": {"id"}} (201, id, usageSpecification)', async () => {
    const response = await stack.rest('POST', `${base}/usage`, { usageSpecification: { id: specification.id } });
    expect(response.status).toBe(201);
    usage = response.body;
    expect(usage).toMatchObject({ id: expect.any(String), href: expect.any(String), usageSpecification: { id: specification.id } });
    expectValid('v4.Usage', usage);
  });

  it('2b. accepts a usage whose specification does not exist (yet)', async () => {
    const response = await stack.rest('POST', `${base}/usage`, { usageSpecification: { id: 'not-yet-known' } });
    expect(response.status).toBe(201);
    expect(response.body.usageSpecification).toMatchObject({ id: 'not-yet-known' });
  });

  it('3. lists both resources; every object carries the mandatory attributes', async () => {
    const specs = await stack.rest('GET', `${base}/usageSpecification`);
    expect(specs.status).toBe(200);
    for (const item of specs.body) {
      expect(item).toMatchObject({ id: expect.any(String), href: expect.any(String), name: expect.any(String) });
      expectValid('v4.UsageSpecification', item);
    }
    const usages = await stack.rest('GET', `${base}/usage`);
    expect(usages.status).toBe(200);
    expect(usages.body.length).toBeGreaterThanOrEqual(2);
    for (const item of usages.body) {
      expect(item).toMatchObject({ id: expect.any(String), usageSpecification: { id: expect.any(String) } });
      expectValid('v4.Usage', item);
    }
    expect(usages.headers.get('x-total-count')).toBe(String(usages.body.length));
    expect(usages.headers.get('x-result-count')).toBe(String(usages.body.length));
  });

  it('4. retrieves each by id', async () => {
    const spec = await stack.rest('GET', `${base}/usageSpecification/${specification.id}`);
    expect(spec.status).toBe(200);
    expect(spec.body).toEqual(specification);
    const one = await stack.rest('GET', `${base}/usage/${usage.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(usage);
  });

  it('5. filters with ?id= and ?name=', async () => {
    const byId = await stack.rest('GET', `${base}/usage?id=${usage.id}`);
    expect(byId.body.map((u: { id: string }) => u.id)).toEqual([usage.id]);
    const specById = await stack.rest('GET', `${base}/usageSpecification?id=${specification.id}`);
    expect(specById.body).toEqual([specification]);
    const byName = await stack.rest('GET', `${base}/usageSpecification?name=${encodeURIComponent(specification.name)}`);
    expect(byName.body.map((s: { id: string }) => s.id)).toEqual([specification.id]);
  });

  it('6. projects with ?fields= (id, href and @type kept)', async () => {
    const projected = await stack.rest('GET', `${base}/usage/${usage.id}?fields=usageSpecification`);
    expect(projected.status).toBe(200);
    expect(Object.keys(projected.body).sort()).toEqual(['@type', 'href', 'id', 'usageSpecification']);
    const specs = await stack.rest('GET', `${base}/usageSpecification?fields=name&id=${specification.id}`);
    expect(specs.body).toEqual([{ id: specification.id, href: specification.href, '@type': 'UsageSpecification', name: specification.name }]);
  });

  it('7. answers 404 with a TMF error for an unknown id', async () => {
    for (const path of [`${base}/usage/does-not-exist`, `${base}/usageSpecification/does-not-exist`]) {
      const response = await stack.rest('GET', path);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ '@type': 'Error', code: '404', reason: 'Not Found', status: '404' });
      expectValid('v4.Error', response.body);
    }
  });
});
