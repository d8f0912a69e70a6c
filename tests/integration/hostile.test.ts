import fc from 'fast-check';
import { BSON } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { rollupsSettled } from '../support/rollups.js';

// At least 10,000 random hostile requests against the real REST facade (127.0.0.1 only): none may
// answer 5xx, none that tries to write may succeed, and the stored data must be the same afterwards.
const total = Number(process.env.HOSTILE_TOTAL ?? 10_000);
const concurrency = 12;
const seed = Number(process.env.HOSTILE_SEED ?? 20261125);

const v5 = '/tmf-api/productUsageManagement/v5';
const v4 = '/tmf-api/usageManagement/v4';

let stack: Stack;
let ids: { usage: string; usageV4: string; spec: string };
beforeAll(async () => {
  // No rate limit: this is one tenant sending as fast as it can on purpose.
  stack = await startStack('hostile', { RATE_LIMIT_PER_SECOND: '0' });
  const spec = await stack.rest('POST', `${v4}/usageSpecification`, { name: 'Hostile spec', specCharacteristic: [{ name: 'duration', valueType: 'integer' }] });
  const usage = await stack.rest('POST', `${v5}/productUsage`, {
    '@type': 'ProductUsage',
    usageType: 'voice',
    product: { '@type': 'ProductRef', id: 'prod-1' },
    usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec-voice' },
    usageCharacteristic: [{ '@type': 'IntegerCharacteristic', name: 'duration', valueType: 'integer', value: 60 }],
    relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: 'party-1' } }],
  });
  const usageV4 = await stack.rest('POST', `${v4}/usage`, { usageType: 'data', usageDate: '2026-11-01T00:00:00Z', usageSpecification: { id: spec.body.id } });
  expect([spec.status, usage.status, usageV4.status], JSON.stringify(usage.body)).toEqual([201, 201, 201]);
  ids = { usage: usage.body.id, usageV4: usageV4.body.id, spec: spec.body.id };
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

/** Every document of every collection of the test's database, in a stable order. */
async function snapshot(): Promise<string> {
  const collections = (await stack.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  const out: Record<string, unknown[]> = {};
  for (const name of collections) out[name] = await stack.db.collection(name).find({}).sort({ _id: 1 }).toArray();
  return BSON.EJSON.stringify(out, { relaxed: false });
}

interface HostileRequest {
  method: string;
  path: string;
  /** Raw body text (sent as is), or undefined. */
  body?: string;
  contentType?: string;
  /** What it tries: a mutation must never succeed. */
  kind: string;
}

// --- building blocks --------------------------------------------------------------------------

const injection = fc.constantFrom(
  '$where',
  '$ne',
  '{"$gt":""}',
  '{"$ne":null}',
  '["$in"]',
  '$regex',
  '.*',
  'this.a == 1',
  'db.dropDatabase()',
  '{"__proto__":{"polluted":1}}',
  '1; DROP TABLE usages',
  '\u0000',
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  'NaN',
  'Infinity',
  '-1e309',
  '2026-02-30',
  '2026-11-24T25:00:00Z',
  '0000-00-00',
  '9999999999999999999999',
  '-0',
  'true',
  'null',
  '',
);
const controlString = fc.string({ unit: fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)), maxLength: 8 });
const anyText = fc.oneof(injection, controlString, fc.string({ maxLength: 30, unit: 'binary' }), fc.string({ minLength: 2000, maxLength: 5000 }));

/** JSON text for a hostile value, including what JSON.stringify cannot write. */
const hostileValueText = fc.oneof(
  injection.map((s) => JSON.stringify(s)),
  fc.constantFrom(
    '{"$where":"1"}',
    '{"$gt":""}',
    '{"$ne":null}',
    '{"a.b":1}',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    'NaN',
    'Infinity',
    '1e400',
    '-1e400',
    '[]',
    '{}',
    'null',
    'true',
    '1.7976931348623157e309',
  ),
  fc.integer({ min: 1, max: 60 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1000, max: 20000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.integer({ min: 1000, max: 50000 }).map((n) => `[${Array(n).fill('1').join(',')}]`),
  controlString.map((s) => JSON.stringify(s)),
  fc.string({ minLength: 100_000, maxLength: 120_000 }).map((s) => JSON.stringify(s)),
);

/** Values no attribute may take: operator and prototype keys, numbers JSON cannot hold, nesting past every limit. */
const invalidAnywhere = fc.oneof(
  fc.constantFrom(
    '{"$where":"1"}',
    '{"$gt":""}',
    '{"$ne":null}',
    '{"a.b":1}',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"\\u0000":1}',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e400',
    '-1e400',
    'undefined',
    "'single'",
  ),
  fc.integer({ min: 70, max: 20000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.integer({ min: 70, max: 20000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
);

/** Attributes a body may carry: known ones and made-up or dangerous ones. */
const v5Attributes = [
  '@type',
  'usageType',
  'status',
  'description',
  'usageCharacteristic',
  'relatedParty',
  'product',
  'usageSpecification',
  'usageProductPrice',
  'externalIdentifier',
];
const v4Attributes = [
  '@type',
  'usageType',
  'status',
  'description',
  'usageDate',
  'usageCharacteristic',
  'relatedParty',
  'usageSpecification',
  'ratedProductUsage',
];
/** Attributes no create or patch may carry: server-set, other-version, unknown or dangerous ones. */
const refusedAttributes = ['id', 'href', 'creationDate', 'lastUpdate', '__proto__', 'constructor', '$where', '$set', 'serviceUsage', 'a.b', ''];

/** [attribute, value]: a known attribute with a value none may take, or a refused attribute with anything. */
const hostilePair = (known: string[]) =>
  fc.oneof(fc.tuple(fc.constantFrom(...known), invalidAnywhere), fc.tuple(fc.constantFrom(...refusedAttributes), hostileValueText));

/** A JSON object text from [key, value text] pairs: duplicate keys are kept, as a hostile client sends them. */
const objectText = (pairs: [string, string][]) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

/** One nested place for a hostile value inside an otherwise plausible v5 body. */
const v5Body = fc
  .record({
    placement: fc.constantFrom('top', 'characteristic', 'party', 'ref', 'price', 'typeWrong', 'duplicate'),
    pair: hostilePair(v5Attributes),
    invalid: invalidAnywhere,
    name: fc.oneof(injection, fc.constantFrom('Usage', 'ExportJob', 'Hub', 'productusage', 'ProductUsage ', '')),
  })
  .map(({ placement, pair, invalid, name }) => {
    const base: [string, string][] = [
      ['@type', '"ProductUsage"'],
      ['usageType', '"voice"'],
      ['product', '{"@type":"ProductRef","id":"prod-1"}'],
      ['usageSpecification', '{"@type":"ProductUsageSpecificationRef","id":"spec-voice"}'],
    ];
    switch (placement) {
      case 'top':
        return objectText([...base, pair]);
      case 'characteristic':
        return objectText([...base, ['usageCharacteristic', `[{"@type":"IntegerCharacteristic","name":"d","valueType":"integer","value":${invalid}}]`]]);
      case 'party':
        return objectText([
          ...base,
          ['relatedParty', `[{"@type":"RelatedPartyRefOrPartyRoleRef","role":"customer","partyOrPartyRole":{"@type":"PartyRef","id":${invalid}}}]`],
        ]);
      case 'ref':
        return objectText([...base, ['usageSpecification', `{"@type":"ProductUsageSpecificationRef","id":${invalid}}`]]);
      case 'price':
        return objectText([...base, ['usageProductPrice', `[{"@type":"ProductPrice","price":{"@type":"Price","taxRate":${invalid}}}]`]]);
      case 'typeWrong':
        // The wrong class, without a @baseType that would make it a subclass.
        return objectText([...base, ['@type', JSON.stringify(name)]]);
      default:
        // Duplicate keys: the last one wins, and it is wrong.
        return objectText([...base, ['@type', '"ProductUsage"'], ['@type', '"Hacked"'], pair]);
    }
  });

const v4Body = hostilePair(v4Attributes).map((pair) => objectText([['usageType', '"data"'], pair]));

const badJson = fc.constantFrom(
  '',
  '{',
  '{"a":',
  '[',
  'null',
  '"text"',
  '42',
  'true',
  '{"a":1}}',
  "{'a':1}",
  '{"a":undefined}',
  '\u0000',
  '{"a":1,}',
  '<xml/>',
  '[]',
);

// --- requests ---------------------------------------------------------------------------------

const listPaths = [`${v5}/productUsage`, `${v4}/usage`, `${v4}/usageSpecification`, `${v5}/exportJob`];
const params = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom(
        'status',
        'usageType',
        'creationDate.gte',
        'usageDate.lt',
        'relatedParty.partyOrPartyRole.id',
        'usageCharacteristic.value',
        'limit',
        'offset',
        'sort',
        'fields',
        'filter',
        'name',
        'id',
      ),
      fc.constantFrom('$where', 'status[$ne]', 'status.$ne', '__proto__', 'constructor.prototype', 'status[]', 'a[b][c]'),
      fc.string({ maxLength: 12 }),
    ),
    anyText,
  ),
  { minLength: 1, maxLength: 5 },
);

const hostileId = fc
  .oneof(injection, fc.string({ maxLength: 20 }), fc.constantFrom('%00', '%2e%2e%2f%2e%2e', '%7B%22%24ne%22%3Anull%7D', 'a'.repeat(5000), '%E0%A4%A'))
  .map((id) => encodeURIComponent(id).replace(/%25(?=[0-9A-F]{2})/g, '%'));

const request: fc.Arbitrary<HostileRequest> = fc.oneof(
  // Reads with hostile filters, sorts, pages and projections.
  fc
    .record({ path: fc.constantFrom(...listPaths), params })
    .map(({ path, params }) => ({ method: 'GET', path: `${path}?${new URLSearchParams(params)}`, kind: 'list' })),
  // Reads and deletes of hostile ids (never a stored one).
  fc
    .record({
      method: fc.constantFrom('GET', 'DELETE'),
      base: fc.constantFrom(`${v5}/productUsage`, `${v4}/usage`, `${v4}/usageSpecification`, `${v5}/exportJob`, `${v5}/hub`, `${v4}/hub`),
      id: hostileId,
    })
    .map(({ method, base, id }) => ({ method, path: `${base}/${id}`, kind: method === 'GET' ? 'read' : 'write' })),
  // Creates with hostile bodies.
  v5Body.map((body) => ({ method: 'POST', path: `${v5}/productUsage`, body, contentType: 'application/json', kind: 'write' })),
  v4Body.map((body) => ({ method: 'POST', path: `${v4}/usage`, body, contentType: 'application/json', kind: 'write' })),
  v4Body.map((body) => ({
    method: 'POST',
    path: `${v4}/usageSpecification`,
    body: body.replace('"usageType":"data"', '"name":"x"'),
    contentType: 'application/json',
    kind: 'write',
  })),
  // Merge patches on stored resources, hostile each.
  fc
    .record({ body: v5Body, type: fc.constantFrom('application/merge-patch+json', 'application/json') })
    .map(({ body, type }) => ({ method: 'PATCH', path: `${v5}/productUsage/${ids.usage}`, body, contentType: type, kind: 'write' })),
  fc
    .record({ body: v4Body })
    .map(({ body }) => ({ method: 'PATCH', path: `${v4}/usage/${ids.usageV4}`, body, contentType: 'application/merge-patch+json', kind: 'write' })),
  // JSON Patch with hostile pointers and values.
  fc
    .record({
      op: fc.constantFrom('add', 'replace', 'remove', 'move', 'copy', 'test', 'delete'),
      // Paths no operation may change, or that do not exist; values none may take.
      path: fc.constantFrom(
        '/__proto__/polluted',
        '/constructor/prototype/polluted',
        '/id',
        '/href',
        '/creationDate',
        '/$where',
        '/relatedParty/999',
        '',
        '/',
        'usageType',
        '/usageType/~2',
        '/a.b',
      ),
      from: fc.constantFrom('/__proto__', '/nothing', '', '/id'),
      value: invalidAnywhere,
    })
    .map(({ op, path, from, value }) => ({
      method: 'PATCH',
      path: `${v5}/productUsage/${ids.usage}`,
      body: `[{"op":${JSON.stringify(op)},"path":${JSON.stringify(path)},"from":${JSON.stringify(from)},"value":${value}}]`,
      contentType: 'application/json-patch+json',
      kind: 'write',
    })),
  // Bodies that are no JSON, or wrongly labelled.
  fc
    .record({
      body: badJson,
      type: fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        '',
      ),
      path: fc.constantFrom(`${v5}/productUsage`, `${v4}/usage`, `${v5}/exportJob`, `${v5}/hub`),
    })
    .map(({ body, type, path }) => ({ method: 'POST', path, body, contentType: type, kind: 'write' })),
  // Export jobs and hubs whose query or callback is hostile.
  fc
    .record({
      query: fc.oneof(
        params.map((p) => `${new URLSearchParams(p)}&status[$ne]=x`),
        injection.map((s) => `status=${s}`),
      ),
    })
    .map(({ query }) => ({
      method: 'POST',
      path: `${v5}/exportJob`,
      body: JSON.stringify({ '@type': 'ExportJob', query: `${query}&$where=1` }),
      contentType: 'application/json',
      kind: 'write',
    })),
  fc
    .record({
      callback: fc.oneof(
        injection,
        fc.constantFrom(
          'javascript:alert(1)',
          'http://user:secret@127.0.0.1/x',
          'file:///etc/passwd',
          `http://x/${'a'.repeat(3000)}`,
          'gopher://127.0.0.1:6379/_FLUSHALL',
          'ftp://x',
        ),
      ),
      version: fc.constantFrom(v5, v4),
    })
    .map(({ callback, version }) => ({
      method: 'POST',
      path: `${version}/hub`,
      body: JSON.stringify({ '@type': 'Hub', callback, query: 'eventType=$where' }),
      contentType: 'application/json',
      kind: 'write',
    })),
);

async function send(r: HostileRequest): Promise<number> {
  const headers: Record<string, string> = { authorization: `Bearer ${stack.token}` };
  if (r.body !== undefined && r.contentType) headers['content-type'] = r.contentType;
  const response = await fetch(`${stack.restUrl}${r.path}`, { method: r.method, headers, body: r.body });
  await response.arrayBuffer();
  return response.status;
}

describe(`${total} hostile requests against the REST facade (seed ${seed})`, () => {
  it('get no 5xx, write nothing, and leave the stored data as it was', async () => {
    await rollupsSettled(stack.db);
    const before = await snapshot();
    const requests = fc.sample(request, { numRuns: total, seed });
    const failures: { request: HostileRequest; status: number }[] = [];
    const slow: unknown[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const deadline = Date.now() + 240_000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests.length && Date.now() < deadline) {
          const r = requests[next++]!;
          const started = Date.now();
          const status = await send(r).catch(() => 599);
          const took = Date.now() - started;
          if (took > 2_000) slow.push({ took, method: r.method, path: r.path.slice(0, 100), body: r.body?.slice(0, 100), length: r.body?.length });
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          // A patch that changes nothing (removing an attribute that is not there, copying the resource
          // onto itself) is a 200 by RFC 7396 and 6902; the snapshot below proves it changed nothing.
          const created = r.kind === 'write' && status < 400 && r.method !== 'PATCH';
          if (status >= 500 || created) failures.push({ request: { ...r, body: r.body?.slice(0, 300) }, status });
        }
      }),
    );
    const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.log(`hostile requests: ${sent} sent, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    if (slow.length) console.log(`slow requests: ${JSON.stringify(slow.slice(0, 10))}`);
    expect(failures.slice(0, 8)).toEqual([]);
    expect(sent).toBe(total);
    // A write marks its rollup buckets (subgraphs/usage/rollups) before it is tried; once the marks are
    // settled the rollups are recomputed to what they were.
    await rollupsSettled(stack.db);
    expect(await snapshot()).toBe(before);
    // The prototype of this process's objects is untouched too (the facade runs in it).
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // And the service still answers normally.
    expect((await stack.rest('GET', `${v5}/productUsage/${ids.usage}`)).status).toBe(200);
  }, 300_000);
});

describe('hostile GraphQL documents at the gateway', () => {
  it('refuses a chain of 3,000 fragments each spreading the next twice (about 100 KB), and answers on', async () => {
    const n = 3_000;
    const document = `query { productUsages(limit: 1) { ...F0 } }\n${Array.from({ length: n }, (_, i) => `fragment F${i} on ProductUsagePage { ...F${i + 1} ...F${i + 1} }`).join('\n')}\nfragment F${n} on ProductUsagePage { totalCount }`;
    expect(document.length).toBeGreaterThan(100_000);
    const refused = await stack.post(JSON.stringify({ query: document }));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      errors: [
        {
          message: `The operation may resolve ${Number.MAX_SAFE_INTEGER} fields; at most 100000 are allowed. Ask for smaller pages or fewer fields.`,
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ],
    });
    expect((await stack.post(JSON.stringify({ query: '{ productUsages(limit: 1) { totalCount } }' }))).status).toBe(200);
  });
});
