import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateUsageDocument, UsagesDocument } from '../operations/generated.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('bad_input');
});
afterAll(async () => {
  await stack?.close();
});

/** Every error a client sees: a message and a code from the vocabulary, nothing internal. */
function expectClean(errors: unknown, code: string) {
  expect(errors).toBeInstanceOf(Array);
  // An empty list would pass every check below: there must be an error to be clean.
  expect((errors as unknown[]).length).toBeGreaterThan(0);
  for (const error of errors as { message: string; extensions: Record<string, unknown> }[]) {
    expect(error.extensions.code).toBe(code);
    expect(Object.keys(error.extensions).sort()).toEqual(['code']);
    expect(error.message).not.toMatch(/at .*\.(ts|js):\d+|Mongo|stack/i);
  }
}

describe('bad input through the gateway', () => {
  it('an oversized or negative page is BAD_USER_INPUT and reads nothing', async () => {
    // The command log sees a read when there is one, so its silence below means nothing was read.
    const read = await stack.commands.during(async () => expect((await stack.request(UsagesDocument, { limit: 5 })).errors).toBeUndefined());
    expect(read).not.toEqual([]);
    for (const variables of [{ limit: 100_000 }, { limit: 0 }, { offset: -1 }]) {
      const commands = await stack.commands.during(async () => {
        const result = await stack.request(UsagesDocument, variables);
        expect(result.status).toBe(200);
        expect(result.data).toBeNull();
        expectClean(result.errors, 'BAD_USER_INPUT');
      });
      expect(commands).toEqual([]);
    }
  });

  it('a wrong variable type, an unknown enum value or an invalid date is BAD_USER_INPUT', async () => {
    const cases = [
      { query: 'query($l: Int) { productUsages(limit: $l) { totalCount } }', variables: { l: 'ten' } },
      { query: 'query($s: [ProductUsageStatus!]) { productUsages(filter: { status: $s }) { totalCount } }', variables: { s: ['paid'] } },
      { query: 'query($d: DateTime) { productUsages(filter: { usageDate: { gte: $d } }) { totalCount } }', variables: { d: '31/12/2026' } },
      { query: 'mutation($i: ProductUsageInput!) { createProductUsage(input: $i) { id } }', variables: { i: { usageDate: '2026-02-30T00:00:00Z' } } },
    ];
    for (const body of cases) {
      const { status, body: response } = await stack.post(JSON.stringify(body));
      expect(status, JSON.stringify(response)).toBeGreaterThanOrEqual(200);
      expect(status).toBeLessThan(500);
      expectClean((response as { errors: unknown }).errors, 'BAD_USER_INPUT');
    }
  });

  it('an unknown field or enum literal fails validation before reaching a subgraph', async () => {
    const commands = await stack.commands.during(async () => {
      for (const query of ['{ productUsages { nope } }', '{ productUsages(filter: { status: [paid] }) { totalCount } }']) {
        const { status, body } = await stack.post(JSON.stringify({ query }));
        expect(status).toBeLessThan(500);
        expectClean((body as { errors: unknown }).errors, 'GRAPHQL_VALIDATION_FAILED');
      }
    });
    expect(commands).toEqual([]);
  });

  it('a characteristic value with operator keys is refused and nothing is stored', async () => {
    const before = await stack.db.collection('productUsages').countDocuments();
    const result = await stack.request(CreateUsageDocument, {
      input: { usageType: 'x', usageCharacteristic: [{ name: 'evil', value: { $where: 'sleep(1000)' } }] },
    });
    expectClean(result.errors, 'BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toContain('"$where" is not allowed');
    expect(await stack.db.collection('productUsages').countDocuments()).toBe(before);
  });

  it('a body that is not JSON, or a syntax error, is refused with a code, and 400 under graphql-response+json', async () => {
    // GraphQL over HTTP: with the legacy application/json response type request errors travel with
    // status 200; clients that accept application/graphql-response+json get the 4xx status.
    const legacy = await stack.post('{"query": ');
    expect(legacy).toEqual({ status: 200, body: { errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_REQUEST' } }] } });
    const modern = await stack.post('{"query": ', { accept: 'application/graphql-response+json' });
    expect(modern.status).toBe(400);
    expectClean((modern.body as { errors: unknown }).errors, 'BAD_REQUEST');
    const syntax = await stack.post(JSON.stringify({ query: '{ productUsages { ' }), { accept: 'application/graphql-response+json' });
    expect(syntax.status).toBe(400);
    expectClean((syntax.body as { errors: unknown }).errors, 'GRAPHQL_PARSE_FAILED');
  });
});
