import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../rest-adapter/spec/validators.js';
import { startStack, type Stack } from '../support/stack.js';

const base = '/tmf-api/productUsageManagement/v5';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('rest_v5');
});
afterAll(async () => {
  await stack?.close();
});

const expectValid = (body: unknown) => expect(validate('v5.ProductUsage_RES', body), JSON.stringify(body)).toEqual([]);

function usageBody(overrides: Record<string, unknown> = {}) {
  return {
    '@type': 'ProductUsage',
    usageType: 'voice',
    description: 'Outgoing call',
    product: { '@type': 'ProductRef', id: 'prod-1', name: 'Mobile plan' },
    usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec-voice', name: 'Voice call' },
    usageCharacteristic: [
      { '@type': 'IntegerCharacteristic', name: 'duration', valueType: 'integer', value: 125 },
      { '@type': 'StringCharacteristic', name: 'destination', valueType: 'string', value: '+33123456789' },
    ],
    relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: 'party-1', name: 'Ada' } }],
    usageProductPrice: [
      {
        '@type': 'ProductPrice',
        name: 'Call',
        priceType: 'usage',
        price: { '@type': 'Price', dutyFreeAmount: { unit: 'EUR', value: 0.25 }, taxIncludedAmount: { unit: 'EUR', value: 0.3 }, taxRate: 20 },
      },
    ],
    externalIdentifier: [{ '@type': 'ExternalIdentifier', id: 'cdr-1', owner: 'msc' }],
    ...overrides,
  };
}

describe('v5 productUsage', () => {
  it('creates: 201, Location, server-set id, href, creationDate and status initialized, the body as sent', async () => {
    const response = await stack.rest('POST', `${base}/productUsage`, usageBody());
    expect(response.status).toBe(201);
    const usage = response.body;
    expect(response.headers.get('location')).toBe(usage.href);
    expect(usage.href).toBe(`http://localhost:8080${base}/productUsage/${usage.id}`);
    expect(usage).toEqual({
      ...usageBody(),
      id: usage.id,
      href: usage.href,
      creationDate: usage.creationDate,
      lastUpdate: usage.creationDate,
      status: 'initialized',
    });
    expectValid(usage);
  });

  it('retrieves, patches with each of the three media types, and deletes', async () => {
    const { body: created } = await stack.rest('POST', `${base}/productUsage`, usageBody());
    const url = `${base}/productUsage/${created.id}`;
    expect((await stack.rest('GET', url)).body).toEqual(created);

    // v5 ProductUsage_MVO requires @type on the patch body, as on every v5 object.
    const withoutType = await stack.rest('PATCH', url, { status: 'rated' }, { 'content-type': 'application/merge-patch+json' });
    expect(withoutType.status).toBe(400);
    expect(withoutType.body.message).toContain("'@type'");
    const merged = await stack.rest(
      'PATCH',
      url,
      { '@type': 'ProductUsage', status: 'rated', description: null },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body.status).toBe('rated');
    expect(merged.body).not.toHaveProperty('description');
    expect(merged.body.usageCharacteristic).toEqual(created.usageCharacteristic);
    expectValid(merged.body);

    const plain = await stack.rest('PATCH', url, { '@type': 'ProductUsage', usageType: 'voice-roaming' });
    expect(plain.body.usageType).toBe('voice-roaming');

    const patched = await stack.rest(
      'PATCH',
      url,
      [
        { op: 'test', path: '/status', value: 'rated' },
        { op: 'replace', path: '/usageCharacteristic/0/value', value: 130 },
        {
          op: 'add',
          path: '/relatedParty/-',
          value: { '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'payer', partyOrPartyRole: { '@type': 'PartyRef', id: 'party-2' } },
        },
      ],
      { 'content-type': 'application/json-patch+json' },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.usageCharacteristic[0].value).toBe(130);
    expect(patched.body.relatedParty.map((rp: { role: string }) => rp.role)).toEqual(['customer', 'payer']);
    expect(Date.parse(patched.body.lastUpdate)).toBeGreaterThanOrEqual(Date.parse(created.lastUpdate));
    expectValid(patched.body);

    const failedTest = await stack.rest('PATCH', url, [{ op: 'test', path: '/status', value: 'initialized' }], {
      'content-type': 'application/json-patch+json',
    });
    expect(failedTest.status).toBe(409);

    const readOnly = await stack.rest('PATCH', url, { '@type': 'ProductUsage', id: 'other' }, { 'content-type': 'application/merge-patch+json' });
    expect(readOnly.status).toBe(400);

    expect((await stack.rest('DELETE', url)).status).toBe(204);
    expect((await stack.rest('GET', url)).status).toBe(404);
    expect((await stack.rest('DELETE', url)).status).toBe(404);
  });
});

describe('v5 productUsage lists', () => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const rows = [
      ['a', 'voice', 'rated', 'party-a'],
      ['b', 'data', 'initialized', 'party-a'],
      ['c', 'data', 'rated', 'party-b'],
      ['d', 'sms', 'failed', 'party-b'],
    ] as const;
    for (const [key, usageType, status, party] of rows) {
      const body = usageBody({
        usageType: `list-${usageType}`,
        status,
        relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: `list-${party}` } }],
      });
      ids[key] = (await stack.rest('POST', `${base}/productUsage`, body)).body.id;
    }
  });

  const listKeys = async (query: string) => {
    const response = await stack.rest('GET', `${base}/productUsage?${query}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    if (!query.includes('fields=')) for (const usage of response.body) expectValid(usage);
    return {
      keys: response.body.map((u: { id: string }) => Object.keys(ids).find((k) => ids[k] === u.id)),
      total: Number(response.headers.get('x-total-count')),
      count: Number(response.headers.get('x-result-count')),
      body: response.body,
    };
  };

  it('filters with comma OR, several attributes AND, nested paths and operators', async () => {
    const scope = 'usageType=list-voice,list-data,list-sms';
    expect((await listKeys(`${scope}&status=rated&sort=id`)).keys.sort()).toEqual(['a', 'c']);
    expect((await listKeys(`${scope}&status=rated,failed&relatedParty.partyOrPartyRole.id=list-party-b`)).keys.sort()).toEqual(['c', 'd']);
    const now = new Date(Date.now() + 60_000).toISOString();
    expect((await listKeys(`${scope}&creationDate.lt=${now}&creationDate.gte=2020-01-01`)).total).toBe(4);
    expect((await listKeys(`${scope}&creationDate.gt=${now}`)).total).toBe(0);
    // A characteristic's @type: the graph knows the path because both read one contract (platform/contracts/usage-fields.ts).
    expect((await listKeys(`${scope}&usageCharacteristic.@type=IntegerCharacteristic`)).total).toBe(4);
    expect((await listKeys(`${scope}&usageCharacteristic.@type=BooleanCharacteristic`)).total).toBe(0);
  });

  it('sorts on several keys with - for descending, and pages with offset/limit and count headers', async () => {
    const sorted = await listKeys('usageType=list-voice,list-data,list-sms&sort=usageType,-creationDate');
    expect(sorted.keys).toEqual(['c', 'b', 'd', 'a']);
    const page = await listKeys('usageType=list-voice,list-data,list-sms&sort=usageType,-creationDate&offset=1&limit=2');
    expect(page).toMatchObject({ keys: ['b', 'd'], total: 4, count: 2 });
  });

  it('projects with fields, keeping id, href and @type', async () => {
    const { body } = await listKeys(`id=${ids.a}&fields=status,relatedParty.role`);
    expect(body).toEqual([
      {
        id: ids.a,
        href: expect.any(String),
        '@type': 'ProductUsage',
        status: 'rated',
        relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer' }],
      },
    ]);
  });
});
