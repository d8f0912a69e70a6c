import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../rest-adapter/spec/validators.js';
import { startStack, type Stack } from '../support/stack.js';

const v5 = '/tmf-api/productUsageManagement/v5';
const v4 = '/tmf-api/usageManagement/v4';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('rest_errors', { BODY_LIMIT_BYTES: '4096' });
});
afterAll(async () => {
  await stack?.close();
});

async function expectError(response: Awaited<ReturnType<Stack['rest']>>, status: number, messagePart?: string | RegExp) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/json');
  expect(response.body).toMatchObject({ '@type': 'Error', code: String(status), status: String(status), reason: expect.any(String) });
  expect(validate('v5.Error', response.body)).toEqual([]);
  if (messagePart) expect(response.body.message).toMatch(messagePart);
  expect(JSON.stringify(response.body)).not.toMatch(/at \S+\.(ts|js):\d+|Mongo|stack/);
}

const validUsage = {
  '@type': 'ProductUsage',
  product: { '@type': 'ProductRef', id: 'p' },
  usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 's' },
};

describe('TMF error bodies', () => {
  it('400 for a bad parameter, naming it', async () => {
    await expectError(await stack.rest('GET', `${v5}/productUsage?limit=abc`), 400, /limit/);
    await expectError(await stack.rest('GET', `${v5}/productUsage?colour=blue`), 400, /colour/);
    await expectError(await stack.rest('GET', `${v5}/productUsage?status=paid`), 400, /status/);
    await expectError(await stack.rest('GET', `${v5}/productUsage?creationDate.gt=yesterday`), 400, /creationDate/);
    await expectError(await stack.rest('GET', `${v5}/productUsage?sort=-nonsense`), 400, /sort/);
    await expectError(await stack.rest('GET', `${v5}/productUsage?fields=secret`), 400, /fields/);
  });

  it('400 for query parameters that try to be database operators', async () => {
    await expectError(await stack.rest('GET', `${v5}/productUsage?status[$ne]=x`), 400);
    await expectError(await stack.rest('GET', `${v5}/productUsage?id=${encodeURIComponent('{"$gt":""}')}`), 400);
    await expectError(await stack.rest('GET', `${v5}/productUsage?$where=1`), 400);
  });

  it('400 for a body that breaks the specification schema, naming the field', async () => {
    await expectError(await stack.rest('POST', `${v5}/productUsage`, { '@type': 'ProductUsage', product: { id: 'p' } }), 400, /usageSpecification/);
    await expectError(await stack.rest('POST', `${v5}/productUsage`, { ...validUsage, status: 'paid' }), 400, /status/);
    await expectError(await stack.rest('POST', `${v5}/productUsage`, { ...validUsage, id: 'mine' }), 400, /id/);
    await expectError(await stack.rest('POST', `${v5}/productUsage`, { ...validUsage, colour: 'blue' }), 400, /colour/);
    await expectError(await stack.rest('POST', `${v4}/usageSpecification`, {}), 400, /name/);
    await expectError(await stack.rest('POST', `${v5}/productUsage`, '{"@type": '), 400);
    await expectError(await stack.rest('POST', `${v5}/productUsage`, '{"__proto__": {"x": 1}}'), 400);
  });

  it('404 for an unknown resource or path, 405 with Allow for a wrong method', async () => {
    await expectError(await stack.rest('GET', `${v5}/productUsage/nope`), 404);
    await expectError(await stack.rest('GET', `${v5}/somethingElse`), 404);
    const put = await stack.rest('PUT', `${v5}/productUsage/nope`, validUsage);
    await expectError(put, 405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE');
    const del = await stack.rest('DELETE', `${v5}/productUsage`);
    await expectError(del, 405);
    expect(del.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('415 for a wrong content type, 413 for an oversized body', async () => {
    await expectError(await stack.rest('POST', `${v5}/productUsage`, 'status=rated', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
    await expectError(await stack.rest('POST', `${v5}/productUsage`, JSON.stringify(validUsage), { 'content-type': 'text/plain' }), 415);
    const created = await stack.rest('POST', `${v5}/productUsage`, validUsage);
    await expectError(await stack.rest('PATCH', `${v5}/productUsage/${created.body.id}`, '[]', { 'content-type': 'application/xml' }), 415);
    await expectError(await stack.rest('POST', `${v5}/productUsage`, { ...validUsage, description: 'x'.repeat(5000) }), 413);
  });
});

describe('the largest documented page', () => {
  it('is served: limit=1000 with every attribute passes the gateway cost limit', async () => {
    const response = await stack.rest('GET', '/tmf-api/productUsageManagement/v5/productUsage?limit=1000');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-result-count')).toBe(String((response.body as unknown[]).length));
  });
});

describe('a page larger than an operator allows', () => {
  it('is a TMF 400 saying what to change, with no GraphQL in it', async () => {
    const strict = await startStack('rest_errors_cost', { GRAPHQL_MAX_COST: '100' });
    try {
      const response = await strict.rest('GET', '/tmf-api/productUsageManagement/v5/productUsage?limit=50');
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        '@type': 'Error',
        code: '400',
        reason: 'Bad Request',
        message: 'The request asks for more than this server answers at once; ask for a smaller limit or fewer fields.',
        status: '400',
      });
    } finally {
      await strict.close();
    }
  });
});
