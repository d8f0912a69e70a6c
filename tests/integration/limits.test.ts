import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('limits', {
    BODY_LIMIT_BYTES: '2048',
    GRAPHQL_MAX_DEPTH: '6',
    GRAPHQL_MAX_ALIASES: '3',
    GRAPHQL_MAX_COST: '500',
    WS_MAX_SUBSCRIPTIONS: '2',
    EXPORT_MAX_CONCURRENT: '1',
  });
});
afterAll(async () => {
  await stack?.close();
});

const v5 = '/tmf-api/productUsageManagement/v5';
const shapeError = (message: string) => ({ errors: [{ message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });

describe('request bodies at the gateway', () => {
  const headers = () => ({ authorization: `Bearer ${stack.token}` });

  it('refuses a body over BODY_LIMIT_BYTES (413), any type but JSON (415) and a body without a length (411)', async () => {
    const big = JSON.stringify({ query: `{ productUsages { totalCount } } # ${'x'.repeat(3000)}` });
    expect(await stack.post(big)).toEqual({
      status: 413,
      body: { errors: [{ message: 'The request body exceeds 2048 bytes.', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] },
    });
    const form = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { ...headers(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query={__typename}',
    });
    expect(form.status).toBe(415);
    expect(await form.json()).toEqual({
      errors: [{ message: 'Content-Type application/x-www-form-urlencoded is not accepted; send application/json.', extensions: { code: 'BAD_REQUEST' } }],
    });
    const chunked = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { ...headers(), 'content-type': 'application/json' },
      body: new Blob(['{"query":"{ __typename }"}']).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(411);
    // Within the limits, the same request runs.
    expect(await stack.post(JSON.stringify({ query: '{ __typename }' }))).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it("keeps the REST facade's own 413 and 415", async () => {
    const big = await stack.rest('POST', `${v5}/productUsage`, { '@type': 'ProductUsage', description: 'x'.repeat(3000) });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ '@type': 'Error', code: '413' });
    expect((await stack.rest('POST', `${v5}/productUsage`, 'usageType=voice', { 'content-type': 'text/plain' })).status).toBe(415);
  });
});

describe('operation shape', () => {
  const run = (query: string, variables?: Record<string, unknown>) =>
    stack.post(JSON.stringify({ query, variables }), { accept: 'application/graphql-response+json' });

  it('refuses an operation deeper than GRAPHQL_MAX_DEPTH, and lets introspection through', async () => {
    const deep = '{ productUsages { items { relatedParty { party { productUsages { items { id } } } } } } }';
    expect(await run(deep)).toEqual({ status: 400, body: shapeError('The operation is 7 fields deep; at most 6 are allowed.') });
    expect((await run('{ productUsages { items { relatedParty { party { productUsages { totalCount } } } } } }')).status).toBe(200);
    expect((await run('{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }')).status).toBe(200);
  });

  it('refuses more aliases than GRAPHQL_MAX_ALIASES', async () => {
    const aliased = '{ a: productUsages { totalCount } b: productUsages { totalCount } c: productUsages { totalCount } d: productUsages { totalCount } }';
    expect(await run(aliased)).toEqual({ status: 400, body: shapeError('The operation uses 4 aliases; at most 3 are allowed.') });
    expect((await run('{ a: productUsages { totalCount } b: productUsages { totalCount } }')).status).toBe(200);
  });

  it('refuses an operation that may cost more than GRAPHQL_MAX_COST, limit given inline or in variables, through fragments', async () => {
    const message = 'The operation may resolve 3001 fields; at most 500 are allowed. Ask for smaller pages or fewer fields.';
    expect(await run('{ productUsages(limit: 1000) { items { id usageType } } }')).toEqual({ status: 400, body: shapeError(message) });
    expect(
      await run('query Q($n: Int) { productUsages(limit: $n) { ...Page } } fragment Page on ProductUsagePage { items { id usageType } }', { n: 1000 }),
    ).toEqual({
      status: 400,
      body: shapeError(message),
    });
    expect((await run('{ productUsages(limit: 100) { items { id usageType } } }')).status).toBe(200);
  });

  it('measures fragments spread again and again once: a 1.3 KB doubling chain is refused at once, and the gateway answers on', async () => {
    const chain = (n: number) =>
      `query { productUsages(limit: 1) { ...F0 } }\n${Array.from({ length: n }, (_, i) => `fragment F${i} on ProductUsagePage { ...F${i + 1} ...F${i + 1} }`).join('\n')}\nfragment F${n} on ProductUsagePage { totalCount }`;
    expect(chain(22).length).toBeLessThan(1_500);
    expect(await run(chain(22))).toEqual({
      status: 400,
      body: shapeError(`The operation may resolve ${1 + 2 ** 22} fields; at most 500 are allowed. Ask for smaller pages or fewer fields.`),
    });
    expect((await run('{ productUsages(limit: 1) { totalCount } }')).status).toBe(200);
  });
});

describe('websocket subscriptions', () => {
  it('holds at most WS_MAX_SUBSCRIPTIONS operations per connection; the others are refused and the connection goes on', async () => {
    const client = createClient({ url: stack.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${stack.token}` } });
    const outcomes: unknown[] = [];
    const subscribeOnce = (type: string) =>
      client.subscribe(
        { query: `subscription { productUsageEvents(filter: { usageType: ["${type}"] }) { eventType } }` },
        { next: () => undefined, error: (error) => outcomes.push(error), complete: () => undefined },
      );
    try {
      const first = subscribeOnce('a');
      subscribeOnce('b');
      subscribeOnce('c');
      await waitFor('the third subscription refused', () => outcomes.length > 0, { timeoutMs: 2_000 });
      expect(outcomes).toEqual([
        [{ message: 'This connection already holds 2 operations; at most 2 at once. Complete one first.', extensions: { code: 'TOO_MANY_REQUESTS' } }],
      ]);
      // Completing one makes room again.
      first();
      const fourth = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: '{ __typename }' }, { next: (value) => resolve(value), error: resolve, complete: () => undefined });
      });
      expect(fourth).toEqual({ data: { __typename: 'Query' } });
    } finally {
      await client.dispose();
    }
  });
});

describe('export jobs', () => {
  it("refuses a job while EXPORT_MAX_CONCURRENT of the tenant's are waiting or running: 429 with Retry-After, nothing created", async () => {
    const waiting = {
      _id: '00000000-0000-4000-8000-000000000001',
      creationDate: new Date(),
      contentType: 'application/json',
      path: '/productUsage',
      query: null,
      status: 'NotStarted',
      exportedCount: 0,
      filter: '{}',
      sort: '{}',
      tenant: 'test-tenant',
    };
    await stack.db.collection('exportJobs').insertOne(waiting as never);
    try {
      const refused = await stack.rest('POST', `${v5}/exportJob`, { '@type': 'ExportJob' });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('10');
      expect(refused.body).toEqual({
        '@type': 'Error',
        code: '429',
        reason: 'Too Many Requests',
        message: '1 export jobs are waiting or running; at most 1 at once. Try again when one has finished.',
        status: '429',
      });
      expect(await stack.db.collection('exportJobs').countDocuments()).toBe(1);
      // The cap is per tenant: another tenant's export is not held back by this one's.
      const other = await stack.rest(
        'POST',
        `${v5}/exportJob`,
        { '@type': 'ExportJob' },
        { authorization: `Bearer ${await stack.mintToken({ tenant: 'other-tenant' })}` },
      );
      expect(other.status).toBe(201);
    } finally {
      await stack.db.collection('exportJobs').deleteOne({ _id: waiting._id } as never);
    }
    expect((await stack.rest('POST', `${v5}/exportJob`, { '@type': 'ExportJob' })).status).toBe(201);
  });
});

describe('rate limit per tenant', () => {
  it('answers 429 with Retry-After past RATE_LIMIT_BURST, at the gateway and through REST, for that tenant only', async () => {
    const limited = await startStack('limits_rate', { RATE_LIMIT_PER_SECOND: '0.5', RATE_LIMIT_BURST: '3' });
    try {
      const query = JSON.stringify({ query: '{ __typename }' });
      for (let i = 0; i < 3; i++) expect((await limited.post(query)).status).toBe(200);
      const response = await fetch(limited.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${limited.token}` },
        body: query,
      });
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(await response.json()).toEqual({
        errors: [{ message: 'Rate limit exceeded for this tenant; retry after 2 s.', extensions: { code: 'TOO_MANY_REQUESTS' } }],
      });
      const rest = await limited.rest('GET', `${v5}/productUsage`);
      expect(rest.status).toBe(429);
      expect(rest.headers.get('retry-after')).toBe('2');
      expect(rest.body).toMatchObject({ '@type': 'Error', code: '429', reason: 'Too Many Requests' });
      // Another tenant has its own budget.
      const other = await limited.mintToken({ tenant: 'other-tenant' });
      expect((await limited.post(query, { authorization: `Bearer ${other}` })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('timeouts to subgraphs', () => {
  it('fails an operation whose subgraph does not answer within SUBGRAPH_TIMEOUT_MS, without internal detail', async () => {
    // DB_TIMEOUT_MS follows below it (1 ms); whichever bound answers, it is GATEWAY_TIMEOUT.
    const impatient = await startStack('limits_timeout', { SUBGRAPH_TIMEOUT_MS: '2' });
    try {
      const started = Date.now();
      const result = await impatient.post(JSON.stringify({ query: '{ productUsages(limit: 50) { totalCount items { id usageSpecification { name } } } }' }));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(result.status).toBe(504);
      expect(result.body).toMatchObject({ data: null, errors: [{ extensions: { code: 'GATEWAY_TIMEOUT' } }] });
      // Named (the service or the database), with nothing of the runtime's abort or the upstream's address.
      expect((result.body as { errors: { message: string }[] }).errors[0]!.message).toMatch(
        /^(The usage service|Listing usages: the database) did not answer in time; try again\.$/,
      );
      expect(JSON.stringify(result.body)).not.toMatch(/abort|127\.0\.0\.1|stack|signal/i);
    } finally {
      await impatient.close();
    }
  });
});
