import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopes, Scope } from '../../platform/caller.js';
import { startReceiver } from '../support/receiver.js';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe, subscribersLive } from '../support/subscriber.js';
import { waitUntil } from '../support/wait.js';

/**
 * Tenant isolation (docs/security.md, "Tenant isolation"): data in two tenants, and every operation tried
 * across the boundary. Another tenant's id is null / NOT_FOUND / 404 (never 403, never a CONFLICT),
 * lists, counts and aggregates leave it out, and subscriptions and webhooks never carry it.
 */
let stack: Stack;
/** Tenant A is the stack's own token ("test-tenant"); tenant B an admin of another tenant. */
let tokenA: string;
let tokenB: string;
const v4 = '/tmf-api/usageManagement/v4';
const v5 = '/tmf-api/productUsageManagement/v5';
const uts = '/api/usagetransparency/v3';

beforeAll(async () => {
  stack = await startStack('tenant_isolation');
  tokenA = stack.token;
  // Every scope but hub:deliver (the delivery worker's, which leases across tenants): admin covers it at the gateway.
  tokenB = await stack.mintToken({ tenant: 'tenant-b', subject: 'bob', scopes: allScopes.filter((s) => s !== Scope.HUB_DELIVER) });
});
afterAll(async () => {
  await stack?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** A GraphQL operation as `token`'s tenant; answers the whole body. */
async function gql(token: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: any; errors?: any[] }> {
  const { status, body } = await stack.post(JSON.stringify({ query, variables }), auth(token));
  expect(status, JSON.stringify(body)).toBe(200);
  return body as { data?: any; errors?: any[] };
}

/** The data of an operation that must succeed. */
async function ok(token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const body = await gql(token, query, variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

/** An operation that must fail with NOT_FOUND and say nothing of the other tenant's document. */
async function notFound(token: string, query: string, variables: Record<string, unknown>): Promise<void> {
  const body = await gql(token, query, variables);
  expect(body.data ?? null).toBeNull();
  expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  expect(JSON.stringify(body.errors)).not.toContain('test-tenant');
}

const rest = (token: string, method: string, path: string, body?: unknown) => stack.rest(method, path, body, auth(token));

const createUsage = `mutation ($input: ProductUsageInput!) { createProductUsage(input: $input) { id } }`;
const usageInput = (usageType: string, party: string, spec?: string) => ({
  usageType,
  relatedParty: [{ role: 'customer', partyOrPartyRole: { type: 'PartyRef', id: party } }],
  ...(spec ? { usageSpecification: { id: spec } } : {}),
});

describe('product usages', () => {
  it('are stored with their tenant and invisible, unchangeable and undeletable from another', async () => {
    const a = (await ok(tokenA, createUsage, { input: usageInput('iso-usage', 'iso-party') })).createProductUsage.id;
    const b = (await ok(tokenB, createUsage, { input: usageInput('iso-usage', 'iso-party') })).createProductUsage.id;
    expect((await stack.db.collection('productUsages').findOne({ _id: a } as never))?.tenant).toBe('test-tenant');
    expect((await stack.db.collection('productUsages').findOne({ _id: b } as never))?.tenant).toBe('tenant-b');

    // Get, list, count.
    expect((await ok(tokenB, `query ($id: ID!) { productUsage(id: $id) { id } }`, { id: a })).productUsage).toBeNull();
    const list = `{ productUsages(filter: { usageType: ["iso-usage"] }) { totalCount items { id } } }`;
    expect((await ok(tokenA, list)).productUsages).toEqual({ totalCount: 1, items: [{ id: a }] });
    expect((await ok(tokenB, list)).productUsages).toEqual({ totalCount: 1, items: [{ id: b }] });

    // Update and delete: NOT_FOUND, and nothing changed.
    await notFound(tokenB, `mutation ($id: ID!) { updateProductUsage(id: $id, patch: { status: rated }) { id } }`, { id: a });
    await notFound(tokenB, `mutation ($id: ID!) { deleteProductUsage(id: $id) { id } }`, { id: a });
    expect((await ok(tokenA, `query ($id: ID!) { productUsage(id: $id) { id status } }`, { id: a })).productUsage).toEqual({ id: a, status: 'initialized' });

    // Filters on a related id: the same party id in both tenants counts each tenant's own.
    const byParty = `query ($ids: [ID!]) { productUsages(filter: { relatedPartyId: $ids }) { totalCount } }`;
    expect((await ok(tokenB, byParty, { ids: ['iso-party'] })).productUsages.totalCount).toBe(1);

    // TMF REST v4 and v5: 404 for the other tenant's id, never 403.
    for (const [method, path, body] of [
      ['GET', `${v4}/usage/${a}`, undefined],
      ['PATCH', `${v4}/usage/${a}`, { status: 'rated' }],
      ['DELETE', `${v4}/usage/${a}`, undefined],
      ['GET', `${v5}/productUsage/${a}`, undefined],
      ['PATCH', `${v5}/productUsage/${a}`, { '@type': 'ProductUsage', status: 'rated' }],
      ['DELETE', `${v5}/productUsage/${a}`, undefined],
    ] as const) {
      const response = await rest(tokenB, method, path, body);
      expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBe(404);
      expect(response.body).toMatchObject({ '@type': 'Error', code: '404', status: '404' });
    }
    const v4List = await rest(tokenB, 'GET', `${v4}/usage?usageType=iso-usage`);
    expect(v4List.body.map((u: { id: string }) => u.id)).toEqual([b]);
    expect(v4List.headers.get('x-total-count')).toBe('1');
    const v5List = await rest(tokenA, 'GET', `${v5}/productUsage?usageType=iso-usage`);
    expect(v5List.body.map((u: { id: string }) => u.id)).toEqual([a]);
    expect(JSON.stringify(v5List.body)).not.toContain('tenant');
    expect((await rest(tokenA, 'GET', `${v4}/usage/${a}`)).status).toBe(200);
  });

  it("resolve Party.productUsages and ProductUsageSpecification.productUsages within the caller's tenant", async () => {
    // B's party and specification; A's usage names B's ids (ids are only strings to A).
    const partyB = (await ok(tokenB, `mutation { createParty(input: { kind: Organization, name: "iso-org" }) { id } }`)).createParty.id;
    const specB = (await ok(tokenB, `mutation { createProductUsageSpecification(input: { name: "iso-spec" }) { id } }`)).createProductUsageSpecification.id;
    const usageA = (await ok(tokenA, createUsage, { input: usageInput('iso-relation', partyB, specB) })).createProductUsage.id;
    const usageB = (await ok(tokenB, createUsage, { input: usageInput('iso-relation', partyB, specB) })).createProductUsage.id;

    const relations = `query ($party: ID!, $spec: ID!) {
      party(id: $party) { id productUsages { totalCount items { id } } }
      productUsageSpecification(id: $spec) { id productUsages { totalCount items { id } } }
    }`;
    expect(await ok(tokenB, relations, { party: partyB, spec: specB })).toEqual({
      party: { id: partyB, productUsages: { totalCount: 1, items: [{ id: usageB }] } },
      productUsageSpecification: { id: specB, productUsages: { totalCount: 1, items: [{ id: usageB }] } },
    });
    expect(await ok(tokenA, relations, { party: partyB, spec: specB })).toEqual({ party: null, productUsageSpecification: null });

    // A's usage references B's specification: the reference resolves to nothing of B's.
    const reference = `query ($id: ID!) { productUsage(id: $id) { usageSpecification { id name } relatedParty { party { id name } } } }`;
    expect((await ok(tokenA, reference, { id: usageA })).productUsage).toEqual({
      usageSpecification: { id: specB, name: null },
      relatedParty: [{ party: { id: partyB, name: null } }],
    });
    expect((await ok(tokenB, reference, { id: usageB })).productUsage).toEqual({
      usageSpecification: { id: specB, name: 'iso-spec' },
      relatedParty: [{ party: { id: partyB, name: 'iso-org' } }],
    });
  });
});

describe('specifications, parties and party roles', () => {
  it("answer another tenant's ids as null or NOT_FOUND, and lists leave them out", async () => {
    const spec = (await ok(tokenA, `mutation { createProductUsageSpecification(input: { name: "iso-only-a" }) { id } }`)).createProductUsageSpecification.id;
    const party = (await ok(tokenA, `mutation { createParty(input: { kind: Individual, name: "iso-only-a" }) { id } }`)).createParty.id;
    const role = (await ok(tokenA, `mutation ($party: ID!) { createPartyRole(input: { name: "iso-only-a", engagedPartyId: $party }) { id } }`, { party }))
      .createPartyRole.id;

    expect(
      await ok(tokenB, `query ($s: ID!, $p: ID!, $r: ID!) { productUsageSpecification(id: $s) { id } party(id: $p) { id } partyRole(id: $r) { id } }`, {
        s: spec,
        p: party,
        r: role,
      }),
    ).toEqual({
      productUsageSpecification: null,
      party: null,
      partyRole: null,
    });
    await notFound(tokenB, `mutation ($id: ID!) { updateProductUsageSpecification(id: $id, patch: { description: "x" }) { id } }`, { id: spec });
    await notFound(tokenB, `mutation ($id: ID!) { deleteProductUsageSpecification(id: $id) { id } }`, { id: spec });
    await notFound(tokenB, `mutation ($id: ID!) { updateParty(id: $id, patch: { name: "x" }) { id } }`, { id: party });
    await notFound(tokenB, `mutation ($id: ID!) { deleteParty(id: $id) { id } }`, { id: party });
    await notFound(tokenB, `mutation ($id: ID!) { updatePartyRole(id: $id, patch: { name: "x" }) { id } }`, { id: role });
    await notFound(tokenB, `mutation ($id: ID!) { deletePartyRole(id: $id) { id } }`, { id: role });

    const lists = `{
      productUsageSpecifications(filter: { name: ["iso-only-a"] }) { totalCount items { id } }
      parties(filter: { name: ["iso-only-a"] }) { totalCount items { id } }
      partyRoles(filter: { name: ["iso-only-a"] }) { totalCount items { id engagedParty { id } } }
    }`;
    expect(await ok(tokenB, lists)).toEqual({
      productUsageSpecifications: { totalCount: 0, items: [] },
      parties: { totalCount: 0, items: [] },
      partyRoles: { totalCount: 0, items: [] },
    });
    expect(await ok(tokenA, lists)).toEqual({
      productUsageSpecifications: { totalCount: 1, items: [{ id: spec }] },
      parties: { totalCount: 1, items: [{ id: party }] },
      partyRoles: { totalCount: 1, items: [{ id: role, engagedParty: { id: party } }] },
    });

    for (const [method, path] of [
      ['GET', `${v4}/usageSpecification/${spec}`],
      ['DELETE', `${v4}/usageSpecification/${spec}`],
    ] as const) {
      expect((await rest(tokenB, method, path)).status, `${method} ${path}`).toBe(404);
    }
    expect((await rest(tokenA, 'GET', `${v4}/usageSpecification/${spec}`)).status).toBe(200);
  });
});

describe('export jobs', () => {
  it("export only the caller's usages, and another tenant's job and file are not found", async () => {
    await ok(tokenA, createUsage, { input: usageInput('iso-export', 'p') });
    await ok(tokenB, createUsage, { input: usageInput('iso-export', 'p') });
    await ok(tokenB, createUsage, { input: usageInput('iso-export', 'p') });
    const job = (await ok(tokenA, `mutation { createExportJob(input: { filter: { usageType: ["iso-export"] } }) { id } }`)).createExportJob;
    const state = await waitUntil(
      `export job ${job.id} to finish`,
      async () => (await ok(tokenA, `query ($id: ID!) { exportJob(id: $id) { status exportedCount downloadPath } }`, { id: job.id })).exportJob,
      (state) => state?.status === 'Succeeded' || state?.status === 'Failed',
    );
    expect(state).toEqual({ status: 'Succeeded', exportedCount: 1, downloadPath: `/exports/${job.id}` });

    const download = stack.gatewayUrl.replace(/\/graphql$/, `/exports/${job.id}`);
    const own = await fetch(download, { headers: auth(tokenA) });
    expect(own.status).toBe(200);
    const lines = (await own.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toHaveProperty('tenant');
    const other = await fetch(download, { headers: auth(tokenB) });
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ errors: [{ message: 'No finished export with that id.', extensions: { code: 'NOT_FOUND' } }] });

    expect((await ok(tokenB, `query ($id: ID!) { exportJob(id: $id) { id } }`, { id: job.id })).exportJob).toBeNull();
    const jobs = (await ok(tokenB, `{ exportJobs(limit: 100) { totalCount items { id } } }`)).exportJobs;
    expect(jobs.items.map((j: { id: string }) => j.id)).not.toContain(job.id);
    await notFound(tokenB, `mutation ($id: ID!) { deleteExportJob(id: $id) { id } }`, { id: job.id });
    expect((await rest(tokenB, 'GET', `${v5}/exportJob/${job.id}`)).status).toBe(404);
    expect((await rest(tokenB, 'DELETE', `${v5}/exportJob/${job.id}`)).status).toBe(404);
    expect((await rest(tokenA, 'GET', `${v5}/exportJob/${job.id}`)).status).toBe(200);
  });
});

describe('hubs and webhooks', () => {
  it("deliver each tenant's events to its own hubs only; another tenant's hub is not found", async () => {
    const receiverA = await startReceiver(() => 200);
    const receiverB = await startReceiver(() => 200);
    try {
      const hubA = await rest(tokenA, 'POST', `${v5}/hub`, { '@type': 'Hub', callback: receiverA.url, query: 'usageType=iso-hook' });
      const hubB = await rest(tokenB, 'POST', `${v5}/hub`, { '@type': 'Hub', callback: receiverB.url, query: 'usageType=iso-hook' });
      expect([hubA.status, hubB.status]).toEqual([201, 201]);
      const hubV4 = await rest(tokenB, 'POST', `${v4}/hub`, { callback: receiverB.url, query: 'usageType=iso-hook' });
      expect(hubV4.status).toBe(201);

      const usageA = (await ok(tokenA, createUsage, { input: usageInput('iso-hook', 'p') })).createProductUsage.id;
      const usageB = (await ok(tokenB, createUsage, { input: usageInput('iso-hook', 'p') })).createProductUsage.id;
      await ok(tokenA, `mutation ($id: ID!) { deleteProductUsage(id: $id) { id } }`, { id: usageA });

      const gotA = await receiverA.waitForAccepted(2);
      const gotB = await receiverB.waitForAccepted(2); // one per B hub (v5 and v4)
      // Every delivery queued for the three hubs has been made (a delivery is owed until accepted),
      // so what the receivers hold is all they will get.
      const hubIds = [hubA.body.id, hubB.body.id, hubV4.body.id];
      await waitUntil(
        'the three hubs to be owed no delivery',
        () => stack.db.collection('hubDeliveries').countDocuments({ hubId: { $in: hubIds } }),
        (count) => count === 0,
      );
      expect(receiverA.accepted().map((r) => [r.body.eventType, r.body.event.productUsage.id])).toEqual([
        ['ProductUsageCreateEvent', usageA],
        ['ProductUsageDeleteEvent', usageA],
      ]);
      expect(gotA).toHaveLength(2);
      expect(gotB.map((r) => JSON.stringify(r.body))).toEqual(expect.arrayContaining([expect.stringContaining(usageB)]));
      expect(receiverB.accepted()).toHaveLength(2);
      expect(JSON.stringify(receiverB.requests)).not.toContain(usageA);

      // Another tenant's hub: 404 over REST and null or NOT_FOUND in GraphQL.
      expect((await rest(tokenB, 'GET', `${v5}/hub/${hubA.body.id}`)).status).toBe(404);
      expect((await rest(tokenB, 'DELETE', `${v5}/hub/${hubA.body.id}`)).status).toBe(404);
      expect((await ok(tokenB, `query ($id: ID!) { hub(id: $id) { id } }`, { id: hubA.body.id })).hub).toBeNull();
      await notFound(tokenB, `mutation ($id: ID!) { deleteHub(id: $id) { id } }`, { id: hubA.body.id });
      expect((await rest(tokenA, 'GET', `${v5}/hub/${hubA.body.id}`)).status).toBe(200);

      for (const [token, id] of [
        [tokenA, hubA.body.id],
        [tokenB, hubB.body.id],
        [tokenB, hubV4.body.id],
      ] as const) {
        const path = id === hubV4.body.id ? `${v4}/hub/${id}` : `${v5}/hub/${id}`;
        expect((await rest(token, 'DELETE', path)).status).toBe(204);
      }
    } finally {
      await receiverA.close();
      await receiverB.close();
    }
  });
});

describe('webhook deliveries', () => {
  it('are leased across tenants by the delivery worker only; an admin of another tenant finds none of them', async () => {
    // No delivery worker while this runs: the deliveries wait to be leased by hand.
    await stack.system.rest.close();
    try {
      const hub = (
        await ok(tokenA, `mutation { createHub(input: { callback: "http://127.0.0.1:9/none", apiVersion: v5, filter: { usageType: ["iso-lease"] } }) { id } }`)
      ).createHub;
      await ok(tokenA, createUsage, { input: usageInput('iso-lease', 'p') });
      const waiting = await stack.db.collection('hubDeliveries').findOne({ hubId: hub.id });
      expect(waiting).toMatchObject({ tenant: 'test-tenant', leaseOwner: null });
      const id = String(waiting!._id);

      const lease = `mutation { leaseHubDeliveries(worker: "w", limit: 500, leaseSeconds: 60) { id hub { id } } }`;
      expect((await ok(tokenB, lease)).leaseHubDeliveries).toEqual([]);

      // The worker's service token (tenant "system", hub:deliver) takes it: its job spans tenants.
      const worker = await stack.hubDeliveryToken();
      expect((await ok(worker, lease)).leaseHubDeliveries).toEqual([{ id, hub: { id: hub.id } }]);
      // B, even naming the worker, can neither complete nor fail A's delivery.
      const settle = `mutation ($id: ID!) { c: completeHubDelivery(id: $id, worker: "w") f: failHubDelivery(id: $id, worker: "w", error: "x") }`;
      expect(await ok(tokenB, settle, { id })).toEqual({ c: false, f: false });
      expect(await stack.db.collection('hubDeliveries').findOne({ _id: id } as never)).toMatchObject({ leaseOwner: 'w', attempt: 0 });
      expect((await ok(worker, `mutation ($id: ID!) { completeHubDelivery(id: $id, worker: "w") }`, { id })).completeHubDelivery).toBe(true);
      await ok(tokenA, `mutation ($id: ID!) { deleteHub(id: $id) { id } }`, { id: hub.id });
    } finally {
      await stack.startRest();
    }
  });
});

describe('subscriptions', () => {
  it("carry only the subscriber's tenant's events, even for the same subscription in two tenants", async () => {
    const query = `subscription ($types: [String!]) { productUsageEvents(filter: { usageType: $types }) { eventType productUsage { id } } }`;
    const subA = subscribe(stack.wsUrl, query, { types: ['iso-live'] }, tokenA);
    const subB = subscribe(stack.wsUrl, query, { types: ['iso-live'] }, tokenB);
    try {
      await subscribersLive(stack, 2);
      const a = (await ok(tokenA, createUsage, { input: usageInput('iso-live', 'p') })).createProductUsage.id;
      const b = (await ok(tokenB, createUsage, { input: usageInput('iso-live', 'p') })).createProductUsage.id;
      await ok(tokenA, `mutation ($id: ID!) { updateProductUsage(id: $id, patch: { status: rated }) { id } }`, { id: a });
      // Each subscriber's last awaited event follows one of the other tenant's (the writes go one after
      // the other and the bus keeps their order): had that one leaked, it would have arrived before.
      const last = (await ok(tokenB, createUsage, { input: usageInput('iso-live', 'p') })).createProductUsage.id;
      await subA.received(2);
      await subB.received(2);
      expect(subA.events).toEqual([
        { productUsageEvents: { eventType: 'ProductUsageCreateEvent', productUsage: { id: a } } },
        { productUsageEvents: { eventType: 'ProductUsageStateChangeEvent', productUsage: { id: a } } },
      ]);
      expect(subB.events).toEqual([
        { productUsageEvents: { eventType: 'ProductUsageCreateEvent', productUsage: { id: b } } },
        { productUsageEvents: { eventType: 'ProductUsageCreateEvent', productUsage: { id: last } } },
      ]);
      expect([...subA.errors, ...subB.errors]).toEqual([]);
    } finally {
      await subA.close();
      await subB.close();
    }
  });
});

describe('ingestion', () => {
  const ingest = `mutation ($usages: [UsageIngestInput!]!) { ingestProductUsages(usages: $usages) { storedCount duplicateCount rejectedCount usageIds errors { code } } }`;
  const month = new Date().toISOString().slice(0, 7);
  // Within this month, so the aggregates of `month` hold it (the first minute of the month, or a minute ago).
  const datetime = new Date(Math.max(Date.now() - 60_000, Date.parse(`${month}-01T00:00:00Z`))).toISOString();
  const sent = (value: number, externalIdentifier = 'iso-key') => ({
    tenantId: 'consumer-1',
    userId: 'u',
    application: 'iso-app',
    resource: 'r',
    value,
    unit: 'kwh',
    datetime,
    externalIdentifier,
  });

  it('keeps idempotency keys, rules, KPIs, specifications and aggregates per tenant', async () => {
    // The same rule and KPI names in both tenants: unique per tenant, not across.
    const rule = `mutation { createIngestionRule(input: { application: "iso-app", unit: "kwh", maxValue: 100 }) { id } }`;
    const kpi = `mutation { createKpi(input: { application: "iso-app", name: "iso-kpi", unit: "kwh" }) { id } }`;
    const ruleA = (await ok(tokenA, rule)).createIngestionRule.id;
    const ruleB = (await ok(tokenB, rule)).createIngestionRule.id;
    const kpiA = (await ok(tokenA, kpi)).createKpi.id;
    await ok(tokenB, kpi);
    expect(ruleA).not.toBe(ruleB);

    // The same key with different content: each tenant stores its own, neither sees a CONFLICT.
    const fromA = (await ok(tokenA, ingest, { usages: [sent(10)] })).ingestProductUsages;
    const fromB = (await ok(tokenB, ingest, { usages: [sent(7)] })).ingestProductUsages;
    expect(fromA).toMatchObject({ storedCount: 1, rejectedCount: 0, errors: [] });
    expect(fromB).toMatchObject({ storedCount: 1, rejectedCount: 0, errors: [] });
    expect(fromA.usageIds[0]).not.toBe(fromB.usageIds[0]);
    expect((await ok(tokenB, ingest, { usages: [sent(7)] })).ingestProductUsages).toMatchObject({ storedCount: 0, duplicateCount: 1 });
    await ok(tokenA, ingest, { usages: [sent(5, 'iso-key-2')] });
    expect((await ok(tokenB, `query ($id: ID!) { productUsage(id: $id) { id } }`, { id: fromA.usageIds[0] })).productUsage).toBeNull();

    // Each tenant's usages got a specification of its own.
    const specOf = `query ($id: ID!) { productUsage(id: $id) { usageSpecification { id name } } }`;
    const specA = (await ok(tokenA, specOf, { id: fromA.usageIds[0] })).productUsage.usageSpecification;
    const specB = (await ok(tokenB, specOf, { id: fromB.usageIds[0] })).productUsage.usageSpecification;
    expect(specA.name).toBe('iso-app kwh');
    expect(specB.name).toBe('iso-app kwh');
    expect(specA.id).not.toBe(specB.id);
    expect((await ok(tokenB, `query ($id: ID!) { productUsageSpecification(id: $id) { id } }`, { id: specA.id })).productUsageSpecification).toBeNull();
    expect((await ok(tokenA, `{ kpi: kpis(application: "iso-app") { items { usageSpecification { id } } } }`)).kpi.items).toEqual([
      { usageSpecification: { id: specA.id } },
    ]);

    // Aggregates: A's 10 + 5, B's 7.
    const monthly = `query ($month: String!) { monthlyUsageAggregates(application: "iso-app", kpiName: "iso-kpi", month: $month) { totalCount items { consumer value usagesCount } } }`;
    expect((await ok(tokenA, monthly, { month })).monthlyUsageAggregates).toEqual({
      totalCount: 1,
      items: [{ consumer: 'consumer-1', value: 15, usagesCount: 2 }],
    });
    expect((await ok(tokenB, monthly, { month })).monthlyUsageAggregates).toEqual({
      totalCount: 1,
      items: [{ consumer: 'consumer-1', value: 7, usagesCount: 1 }],
    });
    const [year, monthNumber] = month.split('-');
    const utsAggregate = await rest(
      tokenB,
      'GET',
      `${uts}/aggregatedMonthlyProviderUsage?month=${Number(monthNumber)}&year=${year}&application=iso-app&KPIName=iso-kpi`,
    );
    expect(utsAggregate.status, JSON.stringify(utsAggregate.body)).toBe(200);
    expect(utsAggregate.body).toMatchObject({ aggregatedUsages: [{ consumer: 'consumer-1', value: 7 }], page: { totalElements: 1 } });

    // Rules and KPIs: another tenant's are not found.
    expect(await ok(tokenB, `query ($r: ID!, $k: ID!) { ingestionRule(id: $r) { id } kpi(id: $k) { id } }`, { r: ruleA, k: kpiA })).toEqual({
      ingestionRule: null,
      kpi: null,
    });
    await notFound(tokenB, `mutation ($id: ID!) { updateIngestionRule(id: $id, patch: { maxValue: 1 }) { id } }`, { id: ruleA });
    await notFound(tokenB, `mutation ($id: ID!) { deleteIngestionRule(id: $id) { id } }`, { id: ruleA });
    await notFound(tokenB, `mutation ($id: ID!) { updateKpi(id: $id, patch: { displayName: "x" }) { id } }`, { id: kpiA });
    await notFound(tokenB, `mutation ($id: ID!) { deleteKpi(id: $id) { id } }`, { id: kpiA });
    const lists = `{ ingestionRules(application: "iso-app") { totalCount items { id } } kpis(application: "iso-app") { totalCount } }`;
    expect(await ok(tokenA, lists)).toEqual({ ingestionRules: { totalCount: 1, items: [{ id: ruleA }] }, kpis: { totalCount: 1 } });
    for (const path of [`${uts}/rules/${ruleA}`, `${uts}/kpis/${kpiA}`]) {
      const response = await rest(tokenB, 'GET', path);
      expect(response.status, path).toBe(404);
      expect(response.body.errors[0].code).toBe('mdsp.core.generic.noMatch');
    }
    expect((await rest(tokenB, 'DELETE', `${uts}/rules/${ruleA}`)).status).toBe(404);
    expect((await rest(tokenA, 'GET', `${uts}/rules/${ruleA}`)).status).toBe(200);
  });

  it('keeps ingestion jobs and their errors per tenant', async () => {
    const body = {
      users: [
        {
          tenantId: 'iso-jobs',
          userId: 'u',
          resources: [
            {
              application: 'iso-jobs-app',
              resource: 'r',
              usages: [
                { value: 1, unit: 'n', datetime: new Date(Date.now() - 60_000).toISOString() },
                { value: 2, unit: 'n', datetime: new Date(Date.now() - 100 * 86_400_000).toISOString() },
              ],
            },
          ],
        },
      ],
    };
    const created = await rest(tokenA, 'POST', `${uts}/usagesJobs`, body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    const job = await waitUntil(
      `ingestion job ${id} to finish`,
      async () => (await rest(tokenA, 'GET', `${uts}/usagesJobs/${id}`)).body,
      (job) => job.status === 'COMPLETED' || job.status === 'ERRORS',
    );
    expect(job.status).toBe('ERRORS'); // the second usage is beyond the late window: one error

    for (const path of [`${uts}/usagesJobs/${id}`, `${uts}/usagesJobs/${id}/errors`]) {
      const response = await rest(tokenB, 'GET', path);
      expect(response.status, path).toBe(404);
      expect(response.body.errors[0].code).toBe('mdsp.core.generic.noMatch');
    }
    expect((await rest(tokenB, 'GET', `${uts}/usagesJobs?tenant=iso-jobs`)).body).toMatchObject({ jobs: [], page: { totalElements: 0 } });
    expect((await rest(tokenA, 'GET', `${uts}/usagesJobs?tenant=iso-jobs`)).body).toMatchObject({ jobs: [{ id }], page: { totalElements: 1 } });
    expect((await ok(tokenB, `query ($id: ID!) { usageIngestJob(id: $id) { id } }`, { id })).usageIngestJob).toBeNull();
    expect((await ok(tokenB, `{ usageIngestJobs(filter: { tenant: "iso-jobs" }) { totalCount } }`)).usageIngestJobs.totalCount).toBe(0);
    expect((await ok(tokenA, `{ usageIngestJobs(filter: { tenant: "iso-jobs" }) { totalCount } }`)).usageIngestJobs.totalCount).toBe(1);
    expect(await stack.db.collection('usageIngestJobs').findOne({ _id: id } as never)).toMatchObject({ tenant: 'test-tenant' });
  });
});
