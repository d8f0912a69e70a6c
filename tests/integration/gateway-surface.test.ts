import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let base: string;
beforeAll(async () => {
  stack = await startStack('gateway_surface', { NODE_ENV: 'development' });
  base = stack.gatewayUrl.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await stack?.close();
});

describe('the gateway beside GraphQL', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('serves GraphiQL to a browser in development', async () => {
    const response = await fetch(stack.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('<title>Usage graph</title>');
  });
});

describe('graphql-ws on the same path', () => {
  it('runs operations over a websocket, as the very first request, with the same results and error codes as HTTP', async () => {
    // A fresh gateway that has served no HTTP request: the runtime must not need one to load its schema.
    const fresh = await startStack('gateway_ws_cold');
    const client = createClient({
      url: fresh.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${fresh.token}` },
    });
    try {
      const run = (query: string) =>
        new Promise<unknown>((resolve, reject) => {
          let result: unknown;
          client.subscribe({ query }, { next: (value) => (result = value), error: reject, complete: () => resolve(result) });
        });
      const created = (await run('mutation { createParty(input: { kind: Organization, name: "Socket Org" }) { id name } }')) as {
        data: { createParty: { id: string; name: string } };
      };
      expect(created.data.createParty.name).toBe('Socket Org');
      expect(await run(`{ party(id: "${created.data.createParty.id}") { name } }`)).toEqual({ data: { party: { name: 'Socket Org' } } });
      expect(await run('{ productUsages(limit: 0) { totalCount } }')).toEqual({
        data: null,
        errors: [{ message: 'limit must be between 1 and 1000; got 0.', path: ['productUsages'], extensions: { code: 'BAD_USER_INPUT' } }],
      });
    } finally {
      await client.dispose();
      await fresh.close();
    }
  });
});

describe('in production', () => {
  it('serves no IDE or landing page', async () => {
    const production = await startStack('gateway_production', { NODE_ENV: 'production' });
    try {
      // Authenticated, so the answer is about the pages, not the missing token.
      const headers = { accept: 'text/html', authorization: `Bearer ${production.token}` };
      const ide = await fetch(production.gatewayUrl, { headers });
      expect(ide.status).toBeGreaterThanOrEqual(400);
      expect(await ide.text()).not.toContain('<html');
      const root = await fetch(production.gatewayUrl.replace(/\/graphql$/, '/'), { headers });
      expect(root.status).toBe(404);
    } finally {
      await production.close();
    }
  });
});
