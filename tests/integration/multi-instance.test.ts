import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Collection, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { allScopes } from '../../platform/caller.js';
import { developmentIssuer } from '../../platform/auth-keys.js';
import { connectMongo } from '../../platform/mongo.js';
import { mintToken } from '../../platform/tokens.js';
import { buildServices } from '../../scripts/build.js';
import { Service } from '../support/processes.js';
import { startReceiver, type Received } from '../support/receiver.js';
import { subscribe } from '../support/subscriber.js';
import { waitFor, waitUntil } from '../support/wait.js';

// Scale-out (docs/deploy.md): two gateways, two usage subgraphs and two REST facades, each the
// production bundle in its own process, over one database and the machine's Redis; one
// specification and one party subgraph. Gateway A plans over usage subgraph A, gateway B over B;
// facade A sends to gateway A, facade B to gateway B. A client uses all of them.
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const v5 = '/tmf-api/productUsageManagement/v5';
const tenant = `multi-${randomUUID().slice(0, 8)}`;
const secret = randomBytes(32).toString('base64url');
let dataDir: string;
let client: MongoClient;
let jobs: Collection<{ _id: string; status: string; runner?: string | null; processedCount: number }>;
let exportJobs: Collection<{ _id: string; status: string; runner?: string | null; exportedCount: number }>;
let token: string;
const instances: Record<'usageA' | 'usageB' | 'gatewayA' | 'gatewayB' | 'restA' | 'restB', Service> = {} as never;
let others: Service[] = [];
let environment: Record<string, string> = {};

beforeAll(async () => {
  await buildServices();
  // One volume for the export files of both usage subgraphs, as the deployment guide asks.
  dataDir = mkdtempSync(path.resolve(process.env.DATA_DIR ?? '.data', 'multi-instance-'));
  const database = `${inject('databasePrefix')}multi_instance`;
  client = await connectMongo(inject('mongodbUri'));
  jobs = client.db(database).collection('usageIngestJobs');
  exportJobs = client.db(database).collection('exportJobs');
  environment = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    LOG_REQUESTS: 'off',
    MONGODB_URI: inject('mongodbUri'),
    MONGODB_DB: database,
    DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    AUTH_HS256_SECRET: secret,
    INTERNAL_AUTH_SECRET: randomBytes(32).toString('base64url'),
    HUB_SIGNING_SECRET: 'multi-instance-signing-secret',
    // A runner silent for a second is taken over; small chunks keep a job running for a while.
    INGEST_JOB_STALE_MS: '1000',
    INGEST_JOB_CHUNK_SIZE: '20',
    EXPORT_JOB_STALE_MS: '1000',
  };
  const bundle = { bundle: true };
  const spec = new Service('specification', environment, bundle);
  const party = new Service('party', environment, bundle);
  instances.usageA = new Service('usage', environment, bundle);
  instances.usageB = new Service('usage', environment, bundle);
  others = [spec, party];
  await Promise.all([spec.start(), party.start(), instances.usageA.start(), instances.usageB.start()]);
  const over = (usage: Service) => ({ ...environment, USAGE_URL: usage.url, SPECIFICATION_URL: spec.url, PARTY_URL: party.url });
  instances.gatewayA = new Service('gateway', over(instances.usageA), bundle);
  instances.gatewayB = new Service('gateway', over(instances.usageB), bundle);
  await Promise.all([instances.gatewayA.start(), instances.gatewayB.start()]);
  instances.restA = new Service('rest', { ...environment, GATEWAY_URL: instances.gatewayA.url }, bundle);
  instances.restB = new Service('rest', { ...environment, GATEWAY_URL: instances.gatewayB.url }, bundle);
  await Promise.all([instances.restA.start(), instances.restB.start()]);
  token = await mintToken({ tenant, subject: 'multi', scopes: allScopes }, { secret, issuer: developmentIssuer, ttlSeconds: 3600 });
}, 180_000);

afterAll(async () => {
  await Promise.all([...Object.values(instances), ...others].map((service) => service?.stop()));
  await client?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const bearer = () => ({ authorization: `Bearer ${token}` });

async function graph(gateway: Service, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer() },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

async function rest(facade: Service, method: string, resource: string, body?: unknown) {
  const response = await fetch(`${facade.url}${resource}`, {
    method,
    headers: { ...bearer(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const createUsage = `mutation ($i: ProductUsageInput!) { createProductUsage(input: $i) { id } }`;
const tmfUsage = (usageType: string, party = 'nobody') => ({
  '@type': 'ProductUsage',
  usageType,
  product: { '@type': 'ProductRef', id: 'prod' },
  usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec' },
  relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: party } }],
});

async function restCreate(facade: Service, body: unknown): Promise<string> {
  const created = await rest(facade, 'POST', `${v5}/productUsage`, body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

/** Open subscriptions on a gateway, from its own gauge. */
async function subscriptionsOn(gateway: Service): Promise<number> {
  const text = await (await fetch(new URL('/metrics', gateway.url), { headers: bearer() })).text();
  expect(text).toContain('usage_graph_gateway_subscriptions');
  return Number(/^usage_graph_gateway_subscriptions(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
}

describe('two instances of every stateless service over one database and Redis', () => {
  it('gives each subscriber, on either gateway, each event once, whichever gateway or facade made it', async () => {
    const usageType = `multi-sub-${randomUUID()}`;
    const query = `subscription ($t: [String!]) { productUsageEvents(filter: { usageType: $t }) { eventType productUsage { id } } }`;
    const wsUrl = (gateway: Service) => gateway.url.replace(/^http/, 'ws');
    const onA = subscribe(wsUrl(instances.gatewayA), query, { t: [usageType] }, token);
    const onB = subscribe(wsUrl(instances.gatewayB), query, { t: [usageType] }, token);
    try {
      for (const gateway of [instances.gatewayA, instances.gatewayB])
        await waitUntil(
          'a subscription open',
          () => subscriptionsOn(gateway),
          (n) => n >= 1,
        );
      const made = [
        await restCreate(instances.restA, tmfUsage(usageType)),
        await restCreate(instances.restB, tmfUsage(usageType)),
        (await graph(instances.gatewayA, createUsage, { i: { usageType } })).createProductUsage.id,
        (await graph(instances.gatewayB, createUsage, { i: { usageType } })).createProductUsage.id,
      ];
      // One more after the four: a duplicate of any of them would have arrived before it.
      const last = (await graph(instances.gatewayA, createUsage, { i: { usageType } })).createProductUsage.id;
      for (const subscriber of [onA, onB]) {
        await subscriber.received(5, 10_000);
        const ids = subscriber.events.map((e) => e.productUsageEvents.productUsage.id);
        expect(ids.slice(0, 4).sort()).toEqual([...made].sort());
        expect(ids[4]).toBe(last);
        expect(subscriber.events).toHaveLength(5);
      }
    } finally {
      await onA.close();
      await onB.close();
    }
  });

  it('serves an entity changed through one gateway fresh through the other', async () => {
    const usageType = `multi-fresh-${randomUUID()}`;
    const party = (await graph(instances.gatewayA, `mutation { createParty(input: { kind: Organization, name: "Before" }) { id } }`)).createParty.id;
    await graph(instances.gatewayA, createUsage, { i: { usageType, relatedParty: [{ role: 'customer', partyOrPartyRole: { id: party, type: 'PartyRef' } }] } });
    const read = async () =>
      (
        await graph(instances.gatewayB, `query ($t: [String!]) { productUsages(filter: { usageType: $t }) { items { relatedParty { party { name } } } } }`, {
          t: [usageType],
        })
      ).productUsages.items[0].relatedParty[0].party.name;
    // Read through B first, so B's entity cache (30 s) holds the old name.
    expect(await read()).toBe('Before');
    await graph(instances.gatewayA, `mutation ($id: ID!) { updateParty(id: $id, patch: { name: "After" }) { id } }`, { id: party });
    // The eviction travels through Redis: the next read through B is fresh (within moments, not 30 s).
    expect(await waitUntil('the new name through gateway B', read, (name) => name === 'After', { timeoutMs: 3_000 })).toBe('After');
  });

  it('makes each webhook delivery once and in order per usage while both facades run, and after one is killed', async () => {
    const receiver = await startReceiver(() => 200);
    const party = `multi-hook-${randomUUID()}`;
    try {
      const hub = await rest(instances.restA, 'POST', `${v5}/hub`, {
        '@type': 'Hub',
        callback: receiver.url,
        query: `relatedParty.partyOrPartyRole.id=${party}`,
      });
      expect(hub.status).toBe(201);
      const facades = [instances.restA, instances.restB];
      /** Creates `count` usages and moves each through two states, alternating facades: 3 events each. */
      const write = async (count: number, through: Service[]) => {
        const ids: string[] = [];
        for (let i = 0; i < count; i++) ids.push(await restCreate(through[i % through.length]!, tmfUsage('hooked', party)));
        for (const status of ['validated', 'rated'])
          for (const [i, id] of ids.entries()) {
            const patched = await rest(through[(i + 1) % through.length]!, 'PATCH', `${v5}/productUsage/${id}`, { '@type': 'ProductUsage', status });
            expect(patched.status, JSON.stringify(patched.body)).toBe(200);
          }
        return ids;
      };
      const expectOncePerEventInOrder = (accepted: Received[], ids: string[]) => {
        const mine = accepted.filter((r) => ids.includes(r.body.event.productUsage.id));
        expect(new Set(mine.map((r) => r.body.eventId)).size).toBe(mine.length);
        for (const id of ids) {
          const states = mine.filter((r) => r.body.event.productUsage.id === id).map((r) => `${r.body.eventType}:${r.body.event.productUsage.status}`);
          expect(states, id).toEqual(['ProductUsageCreateEvent:initialized', 'ProductUsageStateChangeEvent:validated', 'ProductUsageStateChangeEvent:rated']);
        }
      };
      const hubs = client.db(jobs.dbName).collection<{ _id: string; leaseOwner: string | null }>('hubs');
      /** Owed nothing and held by no worker: every delivery made and recorded. */
      const settled = () =>
        waitUntil(
          'the hub settled',
          async () => [
            await client.db(jobs.dbName).collection('hubDeliveries').countDocuments({ hubId: hub.body.id }),
            (await hubs.findOne({ _id: hub.body.id }))?.leaseOwner,
          ],
          ([owed, owner]) => owed === 0 && owner === null,
        );
      const first = await write(6, facades);
      expectOncePerEventInOrder(await receiver.waitForAccepted(18, 20_000), first);
      await settled();

      // Facade A dies idle; B's delivery worker makes every delivery owed from then on, once each.
      expect(await instances.restA.kill()).toMatchObject({ signal: 'SIGKILL' });
      const second = await write(4, [instances.restB]);
      expectOncePerEventInOrder(await receiver.waitForAccepted(30, 20_000), second);
      await settled();
      expect(receiver.accepted()).toHaveLength(30);

      // Facade B dies in the middle of delivering. What it held comes back when its lease (30 s)
      // runs out and A delivers it: nothing is lost, the order per usage holds, and a delivery B
      // made but could not record is made again with the same eventId (at least once: receivers
      // deduplicate by it, docs/events.md).
      await instances.restA.start();
      const third = await write(4, [instances.restB]);
      await receiver.waitForAccepted(31, 20_000);
      expect(await instances.restB.kill()).toMatchObject({ signal: 'SIGKILL' });
      const firstSeen = new Map<string, Received>();
      await waitUntil(
        'every event of the third round, through facade A',
        () => {
          for (const r of receiver.accepted()) if (!firstSeen.has(r.body.eventId)) firstSeen.set(r.body.eventId, r);
          return firstSeen.size;
        },
        (distinct) => distinct === 42,
        { timeoutMs: 60_000 },
      );
      expectOncePerEventInOrder([...firstSeen.values()], third);
    } finally {
      if (!instances.restB.running) await instances.restB.start();
      if (!instances.restA.running) await instances.restA.start();
      await receiver.close();
    }
    // A delivery held by the killed facade waits for its lease (30 s) to run out.
  }, 120_000);

  it('holds one rate budget per tenant across both gateways', async () => {
    // Two more gateway processes with a small budget (the others run with the default, which these
    // tests stay far below): 2 per second after a burst of 10, counted in Redis for both.
    const limited = { RATE_LIMIT_PER_SECOND: '2', RATE_LIMIT_BURST: '10' };
    const spec = others[0]!;
    const party = others[1]!;
    const over = (usage: Service) => ({ ...limited, USAGE_URL: usage.url, SPECIFICATION_URL: spec.url, PARTY_URL: party.url });
    const pair = [
      new Service('gateway', { ...environment, ...over(instances.usageA) }, { bundle: true }),
      new Service('gateway', { ...environment, ...over(instances.usageB) }, { bundle: true }),
    ];
    others.push(...pair);
    await Promise.all(pair.map((gateway) => gateway.start()));
    const limitedToken = await mintToken(
      { tenant: `${tenant}-limited`, subject: 'multi', scopes: allScopes },
      { secret, issuer: developmentIssuer, ttlSeconds: 600 },
    );
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await fetch(pair[i % 2]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${limitedToken}` },
        body: JSON.stringify({ query: '{ productUsages(limit: 1) { totalCount } }' }),
      });
      statuses.push(response.status);
    }
    const seconds = (Date.now() - started) / 1000;
    expect(new Set(statuses)).toEqual(new Set([200, 429]));
    const admitted = statuses.filter((status) => status === 200).length;
    // One budget: the burst and what refilled meanwhile (one token of slack for the second's edge).
    // Each gateway on its own would admit twice the burst, 20 of the first 20 requests.
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(10 + Math.ceil(2 * seconds) + 1);
    await Promise.all(pair.map((gateway) => gateway.stop()));
  }, 60_000);

  it('runs an ingestion job on one usage subgraph, and finishes it on the other when that one is killed mid-way', async () => {
    const count = 1500;
    const now = Date.now();
    const usages = Array.from({ length: count }, (_, i) => ({
      tenantId: tenant,
      application: 'multi-app',
      resource: `res-${i}`,
      unit: 'count',
      value: i,
      datetime: new Date(now - 86_400_000 + i * 1000).toISOString(),
    }));
    const id = (await graph(instances.gatewayA, `mutation ($u: [UsageIngestInput!]!) { createUsageIngestJob(usages: $u) { id } }`, { u: usages }))
      .createUsageIngestJob.id as string;
    const claimed = `ingestion job ${id} claimed by runner`;
    const runner = await waitFor('a usage subgraph to claim the job', () =>
      [instances.usageA, instances.usageB].find((usage) => usage.output().includes(claimed)),
    );
    const survivor = runner === instances.usageA ? instances.usageB : instances.usageA;
    await waitUntil(
      'the job under way',
      () => jobs.findOne({ _id: id }),
      (job) => (job?.processedCount ?? 0) >= 40,
    );
    await runner.kill();
    const killedAt = await jobs.findOne({ _id: id });
    expect(killedAt?.status).toBe('INPROGRESS');
    expect(killedAt!.processedCount).toBeLessThan(count);

    const done = await waitUntil(
      'the job finished by the other usage subgraph',
      () => jobs.findOne({ _id: id }),
      (job) => job?.status === 'COMPLETED' || job?.status === 'ERRORS',
      { timeoutMs: 60_000 },
    );
    expect(done).toMatchObject({ status: 'COMPLETED', processedCount: count });
    expect(survivor.output()).toContain(claimed);
    expect(await client.db(jobs.dbName).collection('productUsages').countDocuments({ 'ingest.jobId': id })).toBe(count);
    await runner.start();
  }, 120_000);

  it('runs an export job on one usage subgraph, and finishes it on the other when that one is killed mid-way', async () => {
    // Enough rows that an export is still running when its runner is stopped (written with the
    // driver to keep set-up short; the export reads them as any usage).
    const usages = client.db(jobs.dbName).collection('productUsages');
    const at = Date.now();
    await usages.insertMany(
      Array.from({ length: 20_000 }, (_, i) => ({
        _id: `multi-export-${i}`,
        tenant,
        type: 'ProductUsage',
        status: 'rated',
        usageType: 'bulk',
        creationDate: new Date(at + i),
        lastUpdate: new Date(at + i),
        usageCharacteristic: [{ name: 'bytes', valueType: 'integer', value: i }],
      })) as never[],
    );
    // The runner is frozen the moment it says it claimed the job, then killed: if the export was
    // already done by then (a fast machine), another job is tried.
    for (let attempt = 1; ; attempt++) {
      const id = (await graph(instances.gatewayB, `mutation { createExportJob(input: { filter: { usageType: ["bulk"] } }) { id } }`)).createExportJob
        .id as string;
      const claimed = `export ${id} claimed by runner`;
      const runner = await waitFor(
        'a usage subgraph to claim the export',
        () => [instances.usageA, instances.usageB].find((usage) => usage.output().includes(claimed)),
        { intervalMs: 1 },
      );
      runner.signal('SIGSTOP');
      const survivor = runner === instances.usageA ? instances.usageB : instances.usageA;
      const before = await exportJobs.findOne({ _id: id });
      if (before?.status !== 'Running' && attempt < 3) {
        runner.signal('SIGCONT');
        continue;
      }
      expect(before?.status, 'the export finished before its runner could be stopped, three times').toBe('Running');
      await runner.kill();
      const done = await waitUntil(
        'the export finished by the other usage subgraph',
        () => exportJobs.findOne({ _id: id }),
        (job) => job?.status === 'Succeeded' || job?.status === 'Failed',
        { timeoutMs: 60_000 },
      );
      expect(done).toMatchObject({ status: 'Succeeded', exportedCount: 20_000 });
      expect(survivor.output()).toContain(claimed);
      // The file is on the shared volume: a download through either facade has every usage, once.
      await runner.start();
      for (const facade of [instances.restA, instances.restB]) {
        const file = await rest(facade, 'GET', `${v5}/exportJob/${id}/file`);
        expect(file.status).toBe(200);
        expect(new Set((file.body as { id: string }[]).map((u) => u.id)).size).toBe(20_000);
      }
      return;
    }
  }, 180_000);
});
