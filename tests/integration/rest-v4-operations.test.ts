import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../rest-adapter/spec/validators.js';
import { startStack, type Stack } from '../support/stack.js';

const base = '/tmf-api/usageManagement/v4';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('rest_v4_operations');
});
afterAll(async () => {
  await stack?.close();
});

describe('v4 usage: every operation, every body valid', () => {
  it('creates with v4 fields, patches three ways, filters by v4 status and deletes', async () => {
    const created = await stack.rest('POST', `${base}/usage`, {
      usageDate: '2026-11-20T16:07:00Z',
      description: 'Voicemail Retrieval',
      usageType: 'Voicemail',
      usageSpecification: { id: 'spec-vm', name: 'Voicemail' },
      relatedParty: [{ id: 'party-1', name: 'Ivor Message', role: 'Customer', '@referredType': 'Individual' }],
      usageCharacteristic: [{ name: 'duration-seconds', valueType: 'integer', value: 12 }],
      ratedProductUsage: [{ isBilled: false, ratingDate: '2026-11-20T16:08:00Z', taxExcludedRatingAmount: { unit: 'EUR', value: 0.1 } }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      '@type': 'Usage',
      status: 'received',
      usageDate: '2026-11-20T16:07:00.000Z',
      relatedParty: [{ id: 'party-1', name: 'Ivor Message', role: 'Customer', '@referredType': 'Individual' }],
      ratedProductUsage: [{ isBilled: false, ratingDate: '2026-11-20T16:08:00.000Z', taxExcludedRatingAmount: { unit: 'EUR', value: 0.1 } }],
    });
    expect(validate('v4.Usage', created.body)).toEqual([]);
    const url = `${base}/usage/${created.body.id}`;

    const merged = await stack.rest('PATCH', url, { status: 'rated', description: null }, { 'content-type': 'application/merge-patch+json' });
    expect(merged.status).toBe(200);
    expect(merged.body.status).toBe('rated');
    expect(merged.body).not.toHaveProperty('description');
    expect(validate('v4.Usage', merged.body)).toEqual([]);
    const json = await stack.rest('PATCH', url, { status: 'billed' });
    expect(json.body.status).toBe('billed');
    const patched = await stack.rest('PATCH', url, [{ op: 'replace', path: '/ratedProductUsage/0/isBilled', value: true }], {
      'content-type': 'application/json-patch+json',
    });
    expect(patched.body.ratedProductUsage[0].isBilled).toBe(true);
    expect(validate('v4.Usage', patched.body)).toEqual([]);

    const billed = await stack.rest('GET', `${base}/usage?status=billed&ratedProductUsage.isBilled=true&relatedParty.id=party-1`);
    expect(billed.body.map((u: { id: string }) => u.id)).toEqual([created.body.id]);
    // The same usage read through v5 shows the v5 equivalent of billed.
    const v5 = await stack.rest('GET', `/tmf-api/productUsageManagement/v5/productUsage/${created.body.id}`);
    expect(v5.body.status).toBe('rated');

    expect((await stack.rest('DELETE', url)).status).toBe(204);
    expect((await stack.rest('GET', url)).status).toBe(404);
  });

  it('filters dates with each operator', async () => {
    const dates = ['2026-01-10T00:00:00Z', '2026-01-20T00:00:00Z', '2026-01-30T00:00:00Z'];
    for (const usageDate of dates) await stack.rest('POST', `${base}/usage`, { usageDate, usageType: 'op-test' });
    const count = async (query: string) => (await stack.rest('GET', `${base}/usage?usageType=op-test&${query}`)).body.length;
    expect(await count('usageDate.gt=2026-01-20T00:00:00Z')).toBe(1);
    expect(await count('usageDate.gte=2026-01-20T00:00:00Z')).toBe(2);
    expect(await count('usageDate.lt=2026-01-20T00:00:00Z')).toBe(1);
    expect(await count('usageDate.lte=2026-01-20T00:00:00Z')).toBe(2);
    expect(await count('usageDate=2026-01-20T00:00:00Z')).toBe(1);
    expect(await count('usageDate.gte=2026-01-15&usageDate.lt=2026-01-31')).toBe(2);
  });
});

describe('v4 usageSpecification: every operation, every body valid', () => {
  it('creates, lists, patches, sorts and deletes', async () => {
    const created = await stack.rest('POST', `${base}/usageSpecification`, {
      name: 'Data session',
      description: 'Mobile data',
      version: '1.0',
      lifecycleStatus: 'Active',
      validFor: { startDateTime: '2026-01-01T00:00:00Z' },
      specCharacteristic: [{ name: 'volume', valueType: 'integer', description: 'bytes' }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ '@type': 'UsageSpecification', name: 'Data session', validFor: { startDateTime: '2026-01-01T00:00:00.000Z' } });
    expect(validate('v4.UsageSpecification', created.body)).toEqual([]);
    const url = `${base}/usageSpecification/${created.body.id}`;

    const patched = await stack.rest('PATCH', url, { version: '1.1', lifecycleStatus: 'Retired' }, { 'content-type': 'application/merge-patch+json' });
    expect(patched.body).toMatchObject({ version: '1.1', lifecycleStatus: 'Retired' });
    expect(validate('v4.UsageSpecification', patched.body)).toEqual([]);
    expect((await stack.rest('PATCH', url, { name: null }, { 'content-type': 'application/merge-patch+json' })).status).toBe(400);

    await stack.rest('POST', `${base}/usageSpecification`, { name: 'Abc first' });
    const sorted = await stack.rest('GET', `${base}/usageSpecification?sort=-name&fields=name`);
    const names = sorted.body.map((s: { name: string }) => s.name);
    expect(names).toEqual([...names].sort().reverse());
    for (const item of sorted.body) expect(validate('v4.UsageSpecification', item)).toEqual([]);

    expect((await stack.rest('DELETE', url)).status).toBe(204);
    expect((await stack.rest('DELETE', url)).status).toBe(404);
  });
});
