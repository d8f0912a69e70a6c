import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopes, Scope } from '../../platform/caller.js';
import { ingestionRejectionTopic } from '../../subgraphs/usage/product-usage/events.js';
import { CreateIngestJobDocument, CreateRuleDocument, IngestJobDocument, IngestUsagesDocument, type UsageIngestInput } from '../operations/generated.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { dataOf, startStack, type Stack, type TestHeaders } from '../support/stack.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';
import { waitUntil } from '../support/wait.js';

/**
 * Refused usages are pushed (issue 17): every usage an ingestion job refuses (a rule, the late
 * window, an idempotency conflict) reaches `ingestionRejections` subscribers and v5 hubs that ask for
 * UsageIngestRejectionEvent, of the job's tenant only; accepted usages make no such event.
 */
let stack: Stack;
let tokenB: string;
let ruleId: string;
const v5 = '/tmf-api/productUsageManagement/v5';
const day = 86_400_000;
const t0 = Date.now();
const at = (offsetDays: number, i = 0) => new Date(t0 + offsetDays * day + i * 1000).toISOString();

const usage = (resource: string, overrides: Partial<UsageIngestInput> = {}): UsageIngestInput => ({
  tenantId: 'acme',
  userId: 'jo@acme.example',
  application: 'rej-app',
  resource,
  unit: 'kwh',
  value: 10,
  datetime: at(-1),
  ...overrides,
});

const subscription = `subscription Rejections($filter: IngestionRejectionFilter) {
  ingestionRejections(filter: $filter) {
    eventId
    eventTime
    job { id usagesCount }
    rejection {
      id jobId index code rule message errorType
      messageParameters { name value }
      ingestionRule { id application unit maxValue }
      usage { tenantId userId userType application alias resource value unit datetime externalIdentifier provider }
    }
  }
}`;

async function finished(id: string, headers?: TestHeaders) {
  return waitUntil(
    `ingestion job ${id} to finish`,
    async () => dataOf(await stack.request(IngestJobDocument, { id, limit: 50 }, headers)).usageIngestJob,
    (job) => job?.status === 'COMPLETED' || job?.status === 'ERRORS',
  );
}

async function runJob(usages: UsageIngestInput[], headers?: TestHeaders): Promise<string> {
  const { createUsageIngestJob: job } = dataOf(await stack.request(CreateIngestJobDocument, { usages }, headers));
  await finished(job.id, headers);
  return job.id;
}

const live = (count: number) =>
  waitUntil(
    `${count} live ingestionRejections subscriptions`,
    () => stack.system.bus.subscriberCount(ingestionRejectionTopic(stack.config.mongodbDb)),
    (n) => n >= count,
    { intervalMs: 10 },
  );

const asB: TestHeaders = {};
const registerHub = async (callback: string, query: string | undefined, headers: TestHeaders = {}) => {
  const hub = await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', callback, ...(query ? { query } : {}) }, headers);
  expect(hub.status).toBe(201);
  return hub.body.id as string;
};

beforeAll(async () => {
  stack = await startStack('ingestion_rejections', { INGEST_LATE_WINDOW_DAYS: '30', INGEST_JOB_CHUNK_SIZE: '2', INGEST_JOB_STALE_MS: '1000' });
  tokenB = await stack.mintToken({ tenant: 'tenant-b', subject: 'bob', scopes: allScopes.filter((s) => s !== Scope.HUB_DELIVER) });
  asB.authorization = `Bearer ${tokenB}`;
  ruleId = dataOf(await stack.request(CreateRuleDocument, { input: { application: 'rej-app', unit: 'kwh', maxValue: 100 } })).createIngestionRule.id;
  dataOf(await stack.request(CreateRuleDocument, { input: { application: 'rej-app', unit: 'kwh', maxValue: 100 } }, asB));
});
afterAll(async () => {
  await stack?.close();
});

describe('ingestion rejections', () => {
  let receiverA: Receiver;
  let subscriberA: Subscriber;

  it('pushes exactly the refusals of a job, with job, rule and usage as sent, to subscribers and v5 hubs of its tenant', async () => {
    receiverA = await startReceiver(() => 200);
    const creates = await startReceiver(() => 200);
    const receiverB = await startReceiver(() => 200);
    subscriberA = subscribe(stack.wsUrl, subscription);
    const conflicts = subscribe(stack.wsUrl, subscription, { filter: { errorType: ['OtherError'] } });
    const subscriberB = subscribe(stack.wsUrl, subscription, {}, tokenB);
    try {
      await registerHub(receiverA.url, 'eventType=UsageIngestRejectionEvent');
      const createsHub = await registerHub(creates.url, 'eventType=ProductUsageCreateEvent');
      // Another tenant's hub without any filter: it would hear every event type of its own tenant.
      const hubB = await registerHub(receiverB.url, undefined, asB);
      await live(3);

      // The stored usage the job's conflict collides with; the synchronous mutation's own refusal is
      // answered in its response, and is no event.
      const sync = dataOf(
        await stack.request(IngestUsagesDocument, { usages: [usage('ext', { externalIdentifier: 'ext-1', value: 5 }), usage('sync-big', { value: 500 })] }),
      ).ingestProductUsages;
      expect(sync).toMatchObject({ storedCount: 1, rejectedCount: 1 });

      const sent = [
        usage('ok-0'),
        usage('too-big', { value: 101, alias: 'cockpit' }),
        usage('ok-2', { value: 3 }),
        usage('late', { datetime: at(-31) }),
        usage('ext-changed', { externalIdentifier: 'ext-1', value: 6 }),
        usage('free', { application: 'rej-free', unit: 'calls', userId: null }),
      ];
      const job = await runJob(sent);
      // Only accepted usages: no rejection event.
      await runJob([usage('ok-a', { datetime: at(-2) }), usage('ok-b', { datetime: at(-3) })]);
      // Tenant B's refusal, then a sentinel of A's and one of B's: each subscription receives in
      // publication order, so once the sentinels arrive anything leaked would have arrived before.
      const jobB = await runJob([usage('b-big', { value: 900 })], asB);
      const sentinelA = await runJob([usage('sentinel-a', { datetime: at(-40) })]);
      const sentinelB = await runJob([usage('sentinel-b', { datetime: at(-40) })], asB);

      const eventsA = await subscriberA.received(4);
      expect(eventsA.map((e) => e.ingestionRejections.eventId)).toEqual([`${job}:1`, `${job}:3`, `${job}:4`, `${sentinelA}:0`]);
      const [rule, late, conflict] = eventsA.map((e) => e.ingestionRejections);
      expect(rule).toEqual({
        eventId: `${job}:1`,
        eventTime: expect.any(String),
        job: { id: job, usagesCount: 6 },
        rejection: {
          id: `${job}:1`,
          jobId: job,
          index: 1,
          code: 'BAD_USER_INPUT',
          rule: 'maxValue',
          message: 'value 101 is above the maximum 100.',
          errorType: 'ValidationError',
          messageParameters: [
            { name: 'value', value: '101' },
            { name: 'maxValue', value: '100' },
          ],
          // Resolved by the specification subgraph through federation.
          ingestionRule: { id: ruleId, application: 'rej-app', unit: 'kwh', maxValue: 100 },
          usage: {
            tenantId: 'acme',
            userId: 'jo@acme.example',
            userType: 'user',
            application: 'rej-app',
            alias: 'cockpit',
            resource: 'too-big',
            value: 101,
            unit: 'kwh',
            datetime: sent[1]!.datetime,
            externalIdentifier: null,
            provider: 'default',
          },
        },
      });
      expect(late.rejection).toMatchObject({ index: 3, code: 'BAD_USER_INPUT', rule: 'lateWindow', errorType: 'ValidationError', ingestionRule: null });
      expect(late.rejection.usage).toMatchObject({ resource: 'late', datetime: sent[3]!.datetime });
      expect(conflict.rejection).toMatchObject({ index: 4, code: 'CONFLICT', rule: 'idempotency', errorType: 'OtherError', ingestionRule: null });
      expect(conflict.rejection.usage).toMatchObject({ resource: 'ext-changed', value: 6, externalIdentifier: 'ext-1' });

      // Each event is what the job's errors record, under the error's id.
      const recorded = dataOf(await stack.request(IngestJobDocument, { id: job, limit: 50 })).usageIngestJob!;
      expect(recorded.errors.items.map((e) => [e.index, e.code, e.rule, e.errorType])).toEqual(
        [rule, late, conflict].map((e) => [e.rejection.index, e.rejection.code, e.rejection.rule, e.rejection.errorType]),
      );
      const [, , , sentinel] = eventsA.map((e) => e.ingestionRejections);
      expect(sentinel.rejection).toMatchObject({ rule: 'lateWindow', usage: { resource: 'sentinel-a', userId: 'jo@acme.example' } });

      const onlyConflicts = await conflicts.received(1);
      const eventsB = await subscriberB.received(2);
      expect(onlyConflicts.map((e) => e.ingestionRejections.eventId)).toEqual([`${job}:4`]);
      expect(eventsB.map((e) => e.ingestionRejections.eventId)).toEqual([`${jobB}:0`, `${sentinelB}:0`]);
      expect(eventsB[0].ingestionRejections.rejection).toMatchObject({ rule: 'maxValue', usage: { resource: 'b-big' } });
      expect(eventsB[0].ingestionRejections.rejection.ingestionRule.id).not.toBe(ruleId);

      // The hub that asked for them gets them as TMF-shaped webhooks, in order.
      const webhooks = await receiverA.waitForAccepted(4);
      expect(webhooks.map((r) => r.body.eventId)).toEqual([`${job}:1`, `${job}:3`, `${job}:4`, `${sentinelA}:0`]);
      const publicUrl = stack.config.publicUrl;
      expect(webhooks[0]!.body).toEqual({
        eventId: `${job}:1`,
        eventTime: rule.eventTime,
        eventType: 'UsageIngestRejectionEvent',
        event: {
          usageIngestRejection: {
            id: `${job}:1`,
            '@type': 'UsageIngestRejection',
            usageIngestJob: { id: job, href: `${publicUrl}/api/usagetransparency/v3/usagesJobs/${job}`, '@referredType': 'UsageIngestJob' },
            index: 1,
            code: 'BAD_USER_INPUT',
            utsCode: 'mdsp.core.usagetransparency.maxValue',
            logref: `${job}:1`,
            rule: 'maxValue',
            errorType: 'ValidationError',
            message: 'value 101 is above the maximum 100.',
            messageParameters: [
              { name: 'value', value: '101' },
              { name: 'maxValue', value: '100' },
            ],
            ingestionRule: { id: ruleId, href: `${publicUrl}/api/usagetransparency/v3/rules/${ruleId}`, '@referredType': 'IngestionRule' },
            usage: {
              tenantId: 'acme',
              userId: 'jo@acme.example',
              userType: 'user',
              application: 'rej-app',
              alias: 'cockpit',
              resource: 'too-big',
              value: 101,
              unit: 'kwh',
              datetime: sent[1]!.datetime,
              provider: 'default',
            },
          },
        },
      });
      expect(webhooks[2]!.body.event.usageIngestRejection).toMatchObject({ code: 'CONFLICT', rule: 'idempotency', usage: { externalIdentifier: 'ext-1' } });
      expect(webhooks[2]!.body.event.usageIngestRejection).not.toHaveProperty('ingestionRule');

      // Tenant B's hub, with no filter, got B's refusals only; the hub of creates got no refusal.
      const webhooksB = await receiverB.waitForAccepted(2);
      expect(webhooksB.map((r) => [r.body.eventType, r.body.eventId])).toEqual([
        ['UsageIngestRejectionEvent', `${jobB}:0`],
        ['UsageIngestRejectionEvent', `${sentinelB}:0`],
      ]);
      await waitUntil(
        'the creates hub to be owed nothing',
        () => stack.db.collection('hubDeliveries').countDocuments({ hubId: createsHub }),
        (n) => n === 0,
      );
      // The stored usage of the sync batch, job 1's three accepted usages and job 2's two.
      expect(creates.accepted().map((r) => r.body.eventType)).toEqual(Array(6).fill('ProductUsageCreateEvent'));
      expect(await stack.db.collection('hubDeliveries').countDocuments({ hubId: hubB })).toBe(0);
      expect(receiverA.requests).toHaveLength(4);
      expect(receiverB.requests).toHaveLength(2);
      // Every event is settled: no later run of these jobs publishes them again.
      expect(await stack.db.collection('usageIngestErrors').countDocuments({ eventPending: true })).toBe(0);
    } finally {
      await Promise.all([conflicts.close(), subscriberB.close(), creates.close(), receiverB.close()]);
    }
  });

  it('publishes, on a job taken over, the refusals still owed and not those published before, with the same eventId', async () => {
    try {
      // What a runner that died mid-job left: its job silent, its batch, the error of usage 1 recorded
      // but its event not yet published (eventPending), and that of usage 2 published.
      const id = randomUUID();
      const tenant = 'test-tenant';
      const recordedAt = new Date(t0 - 60_000);
      const batch = [0, 500, 600, 700].map((value, i) => ({
        tenant: 'acme',
        user: null,
        userType: 'tenant',
        application: 'rej-app',
        alias: null,
        resource: `take-${i}`,
        unit: 'kwh',
        value: value || 1,
        datetime: new Date(at(-1, i)),
        externalIdentifier: null,
        provider: 'default',
      }));
      const error = (index: number, pending: boolean) => ({
        _id: `${id}:${index}`,
        jobId: id,
        index,
        code: 'BAD_USER_INPUT',
        rule: 'maxValue',
        message: `value ${batch[index]!.value} is above the maximum 100.`,
        messageParameters: [],
        errorType: 'ValidationError',
        usage: {
          tenantId: 'acme',
          userId: null,
          userType: 'tenant',
          application: 'rej-app',
          resource: `take-${index}`,
          value: batch[index]!.value,
          unit: 'kwh',
          datetime: batch[index]!.datetime.toISOString(),
          alias: null,
          externalIdentifier: null,
          provider: 'default',
        },
        ruleId,
        tenant,
        recordedAt,
        ...(pending ? { eventPending: true } : {}),
      });
      await stack.db.collection('usageIngestErrors').insertMany([error(1, true), error(2, false)] as never[]);
      await stack.db.collection('usageIngestBatches').insertOne({ _id: id, usages: batch, storedAt: new Date(), tenant } as never);
      const time = new Date();
      await stack.db.collection('usageIngestJobs').insertOne({
        _id: id,
        time,
        day: time.toISOString().slice(0, 10),
        status: 'INPROGRESS',
        usagesCount: 4,
        usagesSummary: [{ application: 'rej-app', unit: 'kwh', processStatus: 'ACCEPTED', usagesCount: 4 }],
        tenants: ['acme'],
        applications: ['rej-app'],
        units: ['kwh'],
        processedCount: 2,
        errorCount: 0,
        tenant,
        runner: 'a-runner-that-died',
        heartbeat: new Date(0),
      } as never);

      // The job sweep (every second here) takes it over and runs its whole batch again.
      await finished(id);
      const events = await subscriberA.received(6);
      const rerun = events.slice(4).map((e) => e.ingestionRejections);
      // Usage 2's event is not sent again; events arrive in order, so it would have come between these two.
      expect(rerun.map((e) => e.eventId)).toEqual([`${id}:1`, `${id}:3`]);
      // The owed one is the event the dead runner would have sent: its recorded error and time.
      expect(rerun[0]).toMatchObject({ eventTime: recordedAt.toISOString(), rejection: { index: 1, rule: 'maxValue', ingestionRule: { id: ruleId } } });
      expect(rerun[1]).toMatchObject({ rejection: { index: 3, message: 'value 700 is above the maximum 100.', usage: { resource: 'take-3' } } });
      const webhooks = await receiverA.waitForAccepted(6);
      expect(webhooks.slice(4).map((r) => r.body.eventId)).toEqual([`${id}:1`, `${id}:3`]);
      expect(await stack.db.collection('usageIngestErrors').countDocuments({ jobId: id, eventPending: true })).toBe(0);
      expect(await stack.db.collection('usageIngestErrors').countDocuments({ jobId: id })).toBe(3);
    } finally {
      await Promise.all([subscriberA.close(), receiverA.close()]);
    }
  });
});
