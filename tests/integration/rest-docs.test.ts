import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('rest_docs');
});
afterAll(async () => {
  await stack?.close();
});

describe('the facade describes itself', () => {
  it('publishes OpenAPI documents of exactly the paths it serves', async () => {
    const v5 = await stack.rest('GET', '/tmf-api/productUsageManagement/v5/openapi.json');
    expect(v5.status).toBe(200);
    expect(v5.body.openapi).toMatch(/^3\./);
    expect(Object.keys(v5.body.paths).sort()).toEqual(['/exportJob', '/exportJob/{id}', '/hub', '/hub/{id}', '/productUsage', '/productUsage/{id}']);
    expect(
      Object.keys(v5.body.paths['/hub/{id}'])
        .filter((k) => k !== 'parameters')
        .sort(),
    ).toEqual(['delete', 'get']);
    expect(v5.body.servers).toEqual([{ url: 'http://localhost:8080/tmf-api/productUsageManagement/v5' }]);
    const v4 = await stack.rest('GET', '/tmf-api/usageManagement/v4/openapi.json');
    expect(v4.body.swagger).toBe('2.0');
    expect(Object.keys(v4.body.paths).sort()).toEqual(['/hub', '/hub/{id}', '/usage', '/usage/{id}', '/usageSpecification', '/usageSpecification/{id}']);
  });

  it('serves a docs page and its assets from this machine', async () => {
    const page = await fetch(`${stack.restUrl}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/tmf-api/productUsageManagement/v5/openapi.json');
    for (const asset of ['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui-standalone-preset.js']) {
      expect(html).toContain(asset);
      expect((await fetch(`${stack.restUrl}${asset}`)).status).toBe(200);
    }
    // fetch resolves the dots to /package.json: no public route, so 401 without a token, 404 with one.
    expect((await fetch(`${stack.restUrl}/docs/../../package.json`)).status).toBe(401);
    expect((await fetch(`${stack.restUrl}/docs/../../package.json`, { headers: { authorization: `Bearer ${stack.token}` } })).status).toBe(404);
  });
});
