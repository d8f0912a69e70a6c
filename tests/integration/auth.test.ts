import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { messageText } from '../../gateway/websocket.js';
import { Scope } from '../../platform/caller.js';
import { InternalHeader, signCaller } from '../../platform/internal-signature.js';
import { serviceTokens } from '../../platform/tokens.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('auth');
});
afterAll(async () => {
  await stack?.close();
});

const v5 = '/tmf-api/productUsageManagement/v5';
const v4 = '/tmf-api/usageManagement/v4';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const unauthenticatedBody = (message: string) => ({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
const missingToken = 'Authentication required: send Authorization: Bearer <token>.';

/** A graphql-transport-ws client by hand: the close code, or 'ack' / the first message after subscribing. */
function wsSession(url: string, init: Record<string, unknown> | undefined, subscribe?: string, headers: Record<string, string> = {}) {
  return new Promise<{ closed?: number; reason?: string; acked: boolean; message?: any }>((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', { headers });
    let acked = false;
    const timer = setTimeout(() => (socket.terminate(), reject(new Error('no close and no message in 5 s'))), 5_000);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', ...(init ? { payload: init } : {}) })));
    socket.on('message', (data) => {
      const message = JSON.parse(messageText(data));
      if (message.type === 'connection_ack') {
        acked = true;
        if (!subscribe) {
          clearTimeout(timer);
          socket.close();
          resolve({ acked });
        } else socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: subscribe } }));
      }
    });
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ closed: code, reason: String(reason), acked });
    });
    socket.once('error', reject);
  });
}

describe('GraphQL over HTTP at the gateway', () => {
  const query = JSON.stringify({ query: '{ productUsages { totalCount } }' });

  it('refuses a request without a token: 401, UNAUTHENTICATED, WWW-Authenticate: Bearer', async () => {
    const response = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual(unauthenticatedBody(missingToken));
  });

  it.each([
    ['a header that is not Bearer', 'Basic dXNlcjpwYXNz', 'The Authorization header must be "Bearer <JWT>".'],
    ['a token that is no JWT', 'Bearer abc.def.ghi', 'The bearer token is not a valid JWT.'],
  ])('refuses %s with 401', async (_name, authorization, message) => {
    const { status, body } = await stack.post(query, { authorization });
    expect(status).toBe(401);
    expect(body).toEqual(unauthenticatedBody(message));
  });

  it('refuses a token signed with another key, an expired token and a token without tenant', async () => {
    const foreign = await new SignJWT({ tenant: 'test-tenant', scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(randomBytes(32));
    expect(await stack.post(query, bearer(foreign))).toEqual({ status: 401, body: unauthenticatedBody('The bearer token is not valid.') });
    const expired = await stack.mintToken({ ttlSeconds: -120 });
    expect(await stack.post(query, bearer(expired))).toEqual({ status: 401, body: unauthenticatedBody('The bearer token has expired.') });
    const badTenant = await stack.mintToken({ tenant: 'no spaces allowed' });
    expect(await stack.post(query, bearer(badTenant))).toEqual({
      status: 401,
      body: unauthenticatedBody('The bearer token names no valid tenant (claim "tenant").'),
    });
  });

  it('runs an operation the scopes cover, and refuses one they do not with 403 FORBIDDEN, writing nothing', async () => {
    const reader = await stack.mintToken({ scopes: [Scope.USAGE_READ] });
    expect(await stack.post(query, bearer(reader))).toMatchObject({ status: 200, body: { data: { productUsages: { totalCount: expect.any(Number) } } } });

    const before = await stack.db.collection('parties').countDocuments();
    const create = JSON.stringify({ query: 'mutation { createParty(input: { kind: Organization, name: "Not allowed" }) { id } }' });
    const refused = await stack.post(create, { ...bearer(reader), accept: 'application/graphql-response+json' });
    expect(refused).toEqual({
      status: 403,
      body: {
        errors: [{ message: 'This operation needs the scope "party:manage", which the token does not grant.', extensions: { code: 'FORBIDDEN' } }],
      },
    });
    // A mutation the token covers beside one it does not: the whole operation is refused.
    const mixed = JSON.stringify({
      query: 'mutation M { createProductUsage(input: { usageType: "x" }) { id } createParty(input: { kind: Organization, name: "x" }) { id } }',
    });
    const both = await stack.mintToken({ scopes: [Scope.USAGE_READ, Scope.USAGE_WRITE] });
    const usagesBefore = await stack.db.collection('productUsages').countDocuments();
    // A legacy application/json client gets the same status: the refusal is not a GraphQL result.
    expect(await stack.post(mixed, bearer(both))).toMatchObject({ status: 403, body: { errors: [{ extensions: { code: 'FORBIDDEN' } }] } });
    expect(await stack.db.collection('productUsages').countDocuments()).toBe(usagesBefore);
    expect(await stack.db.collection('parties').countDocuments()).toBe(before);

    const manager = await stack.mintToken({ scopes: [Scope.PARTY_MANAGE] });
    expect(await stack.post(create, bearer(manager))).toMatchObject({ status: 200, body: { data: { createParty: { id: expect.any(String) } } } });
    // party:manage alone does not read usages; admin does everything.
    expect((await stack.post(query, bearer(manager))).status).toBe(403);
    expect((await stack.post(query, bearer(await stack.mintToken({ scopes: [Scope.ADMIN] })))).status).toBe(200);
  });

  it("gives the webhook worker's service token nothing but hub:deliver", async () => {
    const service = await serviceTokens(stack.internalAuth.secret)();
    expect((await stack.post(query, bearer(service))).status).toBe(403);
    const lease = JSON.stringify({ query: 'mutation { leaseHubDeliveries(worker: "w", limit: 1, leaseSeconds: 1) { id } }' });
    expect(await stack.post(lease, bearer(service))).toEqual({ status: 200, body: { data: { leaseHubDeliveries: [] } } });
    // And a user token cannot lease deliveries unless it has hub:deliver.
    expect((await stack.post(lease, bearer(await stack.mintToken({ scopes: [Scope.USAGE_READ, Scope.USAGE_WRITE] })))).status).toBe(403);
  });

  it('guards export downloads: 401 without a token, 403 without usage:read', async () => {
    const url = stack.gatewayUrl.replace(/\/graphql$/, `/exports/${randomUUID()}`);
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual(unauthenticatedBody(missingToken));
    const writer = await fetch(url, { headers: bearer(await stack.mintToken({ scopes: [Scope.USAGE_WRITE] })) });
    expect(writer.status).toBe(403);
    expect(await writer.json()).toEqual({ errors: [{ message: 'Export files need the scope "usage:read".', extensions: { code: 'FORBIDDEN' } }] });
    // With the scope, the request reaches the subgraph (signed), which knows no such export.
    expect((await fetch(url, { headers: bearer(stack.token) })).status).toBe(404);
  });

  it('keeps health checks open', async () => {
    expect((await fetch(stack.gatewayUrl.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
  });
});

describe('graphql-ws at the gateway', () => {
  const subscription = 'subscription { productUsageEvents { eventType } }';

  it('closes a connection without a token, or with a bad one, with 4401', async () => {
    expect(await wsSession(stack.wsUrl, undefined)).toMatchObject({ closed: 4401, acked: false });
    expect(await wsSession(stack.wsUrl, { authorization: 'Bearer not.a.token' })).toMatchObject({ closed: 4401, acked: false });
    const expired = await stack.mintToken({ ttlSeconds: -120 });
    expect(await wsSession(stack.wsUrl, { authorization: `Bearer ${expired}` })).toMatchObject({ closed: 4401, reason: 'The bearer token has expired.' });
  });

  it('accepts the token in connection params or in the upgrade request, and closes with 4403 a subscribe the scopes do not cover', async () => {
    expect(await wsSession(stack.wsUrl, { authorization: `Bearer ${stack.token}` })).toEqual({ acked: true });
    expect(await wsSession(stack.wsUrl, undefined, undefined, bearer(stack.token))).toEqual({ acked: true });
    const writer = await stack.mintToken({ scopes: [Scope.USAGE_WRITE] });
    expect(await wsSession(stack.wsUrl, { authorization: `Bearer ${writer}` }, subscription)).toEqual({
      closed: 4403,
      reason: 'Forbidden: needs scope usage:read',
      acked: true,
    });
  });

  it('closes the connection with 4401 when the token expires', async () => {
    const shortLived = await stack.mintToken({ ttlSeconds: 1 });
    const started = Date.now();
    expect(await wsSession(stack.wsUrl, { authorization: `Bearer ${shortLived}` }, subscription)).toMatchObject({
      closed: 4401,
      reason: 'Token expired',
      acked: true,
    });
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe('the TMF REST facade', () => {
  it('answers 401 with a TMF error body on v5 and v4 without a token', async () => {
    for (const path of [`${v5}/productUsage`, `${v4}/usageSpecification`, `${v5}/exportJob`, `${v4}/usage/some-id`]) {
      const response = await stack.rest('GET', path, undefined, { authorization: null });
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.body).toEqual({ '@type': 'Error', code: '401', reason: 'Unauthorized', message: missingToken, status: '401' });
    }
    const hub = await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', callback: 'http://127.0.0.1:9/x' }, { authorization: null });
    expect(hub.status).toBe(401);
  });

  it('answers 403 with a TMF error body when the token lacks the scope, and writes nothing', async () => {
    const reader = await stack.mintToken({ scopes: [Scope.USAGE_READ] });
    const before = await stack.db.collection('productUsages').countDocuments();
    const response = await stack.rest('POST', `${v4}/usage`, { usageType: 'voice' }, bearer(reader));
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      '@type': 'Error',
      code: '403',
      reason: 'Forbidden',
      message: 'This operation needs the scope "usage:write", which the token does not grant.',
      status: '403',
    });
    expect(await stack.db.collection('productUsages').countDocuments()).toBe(before);
    expect((await stack.rest('GET', `${v5}/productUsage`, undefined, bearer(reader))).status).toBe(200);
  });

  it("answers the conformance kit's anonymous preflight with an empty page, whatever is stored, and nothing else anonymously", async () => {
    expect((await stack.rest('POST', `${v4}/usage`, { usageType: 'preflight' })).status).toBe(201);
    const preflight = await stack.rest('GET', `${v4}/usage`, undefined, { authorization: null });
    expect(preflight.status).toBe(200);
    expect(preflight.body).toEqual([]);
    expect(preflight.headers.get('x-total-count')).toBe('0');
    // With a query, another path or a bad token, the rule is the usual one.
    expect((await stack.rest('GET', `${v4}/usage?limit=5`, undefined, { authorization: null })).status).toBe(401);
    expect((await stack.rest('GET', `${v5}/productUsage`, undefined, { authorization: null })).status).toBe(401);
    expect((await stack.rest('GET', `${v4}/usage`, undefined, { authorization: 'Bearer bad' })).status).toBe(401);
    // The caller's own token reads the real page.
    expect((await stack.rest('GET', `${v4}/usage`)).body.length).toBeGreaterThan(0);
  });

  it('refuses an anonymous or badly signed request before its body or parameters are looked at', async () => {
    const invalidBody = { '@type': 'ProductUsage', status: 'not-a-status' };
    const forged = await new SignJWT({ tenant: 'test-tenant' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(randomBytes(32));
    for (const authorization of [null, `Bearer ${forged}`]) {
      const calls = [
        await stack.rest('POST', `${v5}/productUsage`, invalidBody, { authorization }),
        await stack.rest('GET', `${v5}/productUsage?limit=banana&nosuchfilter=1`, undefined, { authorization }),
        await stack.rest('PATCH', `${v4}/usage/some-id`, '{not json', { authorization, 'content-type': 'application/merge-patch+json' }),
        await stack.rest('POST', `${v5}/productUsage`, 'x'.repeat(stack.config.bodyLimitBytes + 1), { authorization }),
        await stack.rest('POST', `${v5}/productUsage`, '<usage/>', { authorization, 'content-type': 'application/xml' }),
      ];
      for (const response of calls) {
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
        expect(response.body).toEqual({
          '@type': 'Error',
          code: '401',
          reason: 'Unauthorized',
          message: authorization ? 'The bearer token is not valid.' : missingToken,
          status: '401',
        });
      }
    }
    // The same invalid body with a token is the client's mistake, named.
    expect((await stack.rest('POST', `${v5}/productUsage`, invalidBody)).status).toBe(400);
  });

  it('serves the OpenAPI documents and their viewer without a token', async () => {
    const openapi = await stack.rest('GET', `${v5}/openapi.json`, undefined, { authorization: null });
    expect(openapi.status).toBe(200);
    expect(openapi.body).toMatchObject({ openapi: '3.0.1' });
    expect((await stack.rest('GET', '/docs', undefined, { authorization: null })).status).toBe(200);
  });

  it('refuses the preflight too when TMF_ANONYMOUS_PREFLIGHT=refuse', async () => {
    const strict = await startStack('auth_preflight_refuse', { TMF_ANONYMOUS_PREFLIGHT: 'refuse' });
    try {
      const response = await strict.rest('GET', `${v4}/usage`, undefined, { authorization: null });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ '@type': 'Error', code: '401' });
    } finally {
      await strict.close();
    }
  });
});

describe('the usage-transparency REST surface', () => {
  const jobs = '/api/usagetransparency/v3/usagesJobs';

  it('answers 401 as mdsp.core.generic.unauthorized and 403 as mdsp.core.generic.forbidden', async () => {
    const anonymous = await stack.rest('GET', jobs, undefined, { authorization: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({
      errors: [{ code: 'mdsp.core.generic.unauthorized', message: missingToken, messageParameters: [], logref: expect.any(String) }],
    });
    const writer = await stack.mintToken({ scopes: [Scope.USAGE_WRITE] });
    const refused = await stack.rest('GET', jobs, undefined, bearer(writer));
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0]).toMatchObject({ code: 'mdsp.core.generic.forbidden' });
    expect((await stack.rest('GET', jobs)).status).toBe(200);
  });

  it('refuses an anonymous ingestion before reading its body', async () => {
    const tooMany = {
      users: [{ tenantId: 't', resources: [{ application: 'a', resource: 'r', usages: Array.from({ length: 201 }, () => ({ value: 'x' })) }] }],
    };
    for (const body of [tooMany, '{not json']) {
      const response = await stack.rest('POST', jobs, body, { authorization: null });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        errors: [{ code: 'mdsp.core.generic.unauthorized', message: missingToken, messageParameters: [], logref: expect.any(String) }],
      });
    }
  });
});

describe('a subgraph called directly', () => {
  const body = JSON.stringify({ query: '{ _service { sdl } }' });
  const refused = { errors: [{ message: 'This service answers only the gateway.', extensions: { code: 'UNAUTHENTICATED' } }] };
  const call = async (headers: Record<string, string>) => {
    const url = stack.system.subgraphs.find((s) => s.name === 'party')!.url;
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, body: await response.json() };
  };
  const caller = { tenant: 'test-tenant', subject: 'someone', scopes: [Scope.ADMIN] };

  it('refuses a request without the internal signature, even with a valid client token', async () => {
    expect(await call({})).toEqual({ status: 401, body: refused });
    expect(await call(bearer(stack.token))).toEqual({ status: 401, body: refused });
  });

  it('refuses a forged, altered or expired signature, and answers a valid one', async () => {
    expect(await call(signCaller(randomBytes(32).toString('hex'), caller))).toEqual({ status: 401, body: refused });
    const altered = { ...signCaller(stack.internalAuth.secret, caller), [InternalHeader.tenant]: 'another-tenant' };
    expect(await call(altered)).toEqual({ status: 401, body: refused });
    const old = signCaller(stack.internalAuth.secret, caller, Date.now() - (stack.config.auth.internalMaxAgeSeconds + 5) * 1000);
    expect(await call(old)).toEqual({ status: 401, body: refused });
    const valid = await call(signCaller(stack.internalAuth.secret, caller));
    expect(valid.status).toBe(200);
    expect(valid.body.data._service.sdl).toContain('type Party');
  });

  it('closes a subscription socket without a valid signature with 4401, and acknowledges a signed one', async () => {
    const url = stack.system.subgraphs.find((s) => s.name === 'usage')!.url.replace(/^http/, 'ws');
    expect(await wsSession(url, undefined)).toMatchObject({ closed: 4401, acked: false });
    expect(await wsSession(url, signCaller(randomBytes(32).toString('hex'), caller))).toMatchObject({ closed: 4401, acked: false });
    expect(await wsSession(url, signCaller(stack.internalAuth.secret, caller))).toEqual({ acked: true });
  });
});
