import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateUsageOnceDocument } from '../operations/generated.js';
import { startStack, type Stack } from '../support/stack.js';

// A create whose answer was lost (a timeout, a 503) is retried with the same idempotency key: the
// usage is stored once, the retry answers it again, and the same key with another body is a 409.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('idempotent_create');
});
afterAll(async () => {
  await stack?.close();
});

const stored = (usageType: string) => stack.db.collection('productUsages').countDocuments({ usageType });

describe('createProductUsage with an idempotencyKey', () => {
  it('stores a usage once per key and tenant; the same key with another input is CONFLICT', async () => {
    const key = randomUUID();
    const input = { usageType: 'once-graphql', description: 'first' };
    const first = await stack.request(CreateUsageOnceDocument, { input, idempotencyKey: key });
    const again = await stack.request(CreateUsageOnceDocument, { input, idempotencyKey: key });
    expect(again).toEqual(first);
    expect(await stored('once-graphql')).toBe(1);

    const other = await stack.request(CreateUsageOnceDocument, { input: { ...input, description: 'second' }, idempotencyKey: key });
    expect(other.errors).toEqual([
      {
        message: 'This idempotency key was used for another usage; a new usage needs a new key.',
        path: ['createProductUsage'],
        extensions: { code: 'CONFLICT' },
      },
    ]);
    expect(await stored('once-graphql')).toBe(1);

    // Another tenant's same key is its own usage, and tells it nothing of the first.
    const otherTenant = await stack.mintToken({ tenant: 'other-tenant' });
    const theirs = await stack.request(CreateUsageOnceDocument, { input, idempotencyKey: key }, { authorization: `Bearer ${otherTenant}` });
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data!.createProductUsage.id).not.toBe(first.data!.createProductUsage.id);

    const bad = await stack.request(CreateUsageOnceDocument, { input, idempotencyKey: 'has space' });
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });
});

describe('POST with an Idempotency-Key header', () => {
  const v5 = '/tmf-api/productUsageManagement/v5/productUsage';
  const body = (description: string) => ({
    '@type': 'ProductUsage',
    usageType: 'once-rest',
    description,
    product: { '@type': 'ProductRef', id: 'prod' },
    usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec' },
  });

  it('answers a resend with the stored usage (201, same body and Location), a different body with 409', async () => {
    const key = randomUUID();
    const first = await stack.rest('POST', v5, body('first'), { 'idempotency-key': key });
    const again = await stack.rest('POST', v5, body('first'), { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await stored('once-rest')).toBe(1);

    const other = await stack.rest('POST', v5, body('second'), { 'idempotency-key': key });
    expect(other.status).toBe(409);
    expect(other.body).toEqual({
      '@type': 'Error',
      code: '409',
      reason: 'Conflict',
      message: 'This idempotency key was used for another usage; a new usage needs a new key.',
      status: '409',
    });
    // Without a key, every POST is a new usage, as before.
    await stack.rest('POST', v5, body('first'));
    expect(await stored('once-rest')).toBe(2);
  });

  it('works the same on v4 /usage', async () => {
    const key = randomUUID();
    const v4 = '/tmf-api/usageManagement/v4/usage';
    const first = await stack.rest('POST', v4, { usageType: 'once-v4' }, { 'idempotency-key': key });
    const again = await stack.rest('POST', v4, { usageType: 'once-v4' }, { 'idempotency-key': key });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.id).toBe(first.body.id);
    expect(await stored('once-v4')).toBe(1);
  });
});
