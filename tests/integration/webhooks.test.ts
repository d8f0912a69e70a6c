import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signature } from '../../rest-adapter/hub-delivery.js';
import { validate } from '../../rest-adapter/spec/validators.js';
import { CreateUsageDocument, UpdateUsageDocument } from '../operations/generated.js';
import { startReceiver } from '../support/receiver.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';
import { holdsFor, waitUntil } from '../support/wait.js';

const secret = 'test-signing-secret-0123456789';
const v5 = '/tmf-api/productUsageManagement/v5';
const v4 = '/tmf-api/usageManagement/v4';
/** The delivery worker's longest wait between looks for due deliveries (its default idleMs). */
const workerIdleMaxMs = 1_000;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('webhooks', { HUB_RETRY_BASE_MS: '50', HUB_RETRY_MAX_MS: '200', HUB_MAX_FAILURES: '4', HUB_SIGNING_SECRET: secret });
});
afterAll(async () => {
  await stack?.close();
});

/** The deliveries still owed to a hub: a delivery leaves the database once its callback accepted it. */
const owed = (hubId: string) => stack.db.collection('hubDeliveries').countDocuments({ hubId });
/** Waits until a hub is owed nothing: every event queued for it was delivered (or it would still be owed). */
const drained = (hubId: string) =>
  waitUntil(
    `hub ${hubId} to be owed no delivery`,
    () => owed(hubId),
    (count) => count === 0,
  );

const usage = (party: string) => ({
  '@type': 'ProductUsage',
  product: { '@type': 'ProductRef', id: 'prod' },
  usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec' },
  relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: party } }],
});

describe('TMF hub webhooks', () => {
  it('delivers signed v5 events in order per usage, retrying a callback that fails at first', async () => {
    const receiver = await startReceiver((attempt) => (attempt <= 2 ? 500 : 200));
    try {
      const hub = await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', callback: receiver.url, query: 'relatedParty.partyOrPartyRole.id=party-hook' });
      expect(hub.status).toBe(201);
      expect(hub.body).toMatchObject({ id: expect.any(String), '@type': 'Hub', callback: receiver.url, status: 'active' });
      expect(validate('v5.Hub', hub.body)).toEqual([]);
      expect(hub.headers.get('location')).toBe(hub.body.href);

      const created = (await stack.rest('POST', `${v5}/productUsage`, usage('party-hook'))).body;
      await stack.rest('POST', `${v5}/productUsage`, usage('someone-else'));
      await stack.rest('PATCH', `${v5}/productUsage/${created.id}`, { '@type': 'ProductUsage', status: 'rated' });
      await stack.rest('DELETE', `${v5}/productUsage/${created.id}`);

      const accepted = await receiver.waitForAccepted(3);
      expect(accepted.map((r) => r.body.eventType)).toEqual(['ProductUsageCreateEvent', 'ProductUsageStateChangeEvent', 'ProductUsageDeleteEvent']);
      expect(receiver.requests.slice(0, 3).map((r) => [r.status, r.body.eventType])).toEqual([
        [500, 'ProductUsageCreateEvent'],
        [500, 'ProductUsageCreateEvent'],
        [200, 'ProductUsageCreateEvent'],
      ]);
      for (const delivery of accepted) {
        expect(delivery.body).toMatchObject({ eventId: expect.any(String), eventTime: expect.any(String), event: { productUsage: { id: created.id } } });
        expect(validate('v5.ProductUsage_RES', delivery.body.event.productUsage)).toEqual([]);
        const timestamp = String(delivery.headers['x-usage-graph-timestamp']);
        expect(delivery.headers['x-usage-graph-signature']).toBe(signature(secret, timestamp, delivery.raw));
      }
      expect(accepted[1]!.body.event.productUsage.status).toBe('rated');
      const state = await stack.rest('GET', `${v5}/hub/${hub.body.id}`);
      expect(state.body).toMatchObject({ status: 'active' });
      expect((await stack.rest('DELETE', `${v5}/hub/${hub.body.id}`)).status).toBe(204);
      expect((await stack.rest('GET', `${v5}/hub/${hub.body.id}`)).status).toBe(404);
    } finally {
      await receiver.close();
    }
  });

  it('keeps events made while the adapter is down and delivers them, in order, once it is back', async () => {
    const receiver = await startReceiver(() => 200);
    try {
      const hub = (await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', callback: receiver.url, query: 'usageType=while-down' })).body;
      await stack.system.rest.close();
      const created = dataOf(await stack.request(CreateUsageDocument, { input: { usageType: 'while-down' } })).createProductUsage;
      await stack.request(UpdateUsageDocument, { id: created.id, patch: { status: 'rated' } });
      await stack.request(UpdateUsageDocument, { id: created.id, patch: { description: 'late' } });
      // Queued in the database while no worker runs: the three events wait for the hub, never leased
      // nor tried, and the receiver sees none of them. A time window, as "nothing happens" has no
      // event: longer than a running worker's longest idle wait (1 s), so a worker left running
      // would have leased them within it.
      const queued = await holdsFor(
        'three untried deliveries queued and none received',
        async () => ({ deliveries: await stack.db.collection('hubDeliveries').find({ hubId: hub.id }).toArray(), received: receiver.requests.length }),
        ({ deliveries, received }) => received === 0 && deliveries.length === 3 && deliveries.every((d) => d.attempt === 0 && !d.leaseOwner),
        workerIdleMaxMs + 500,
      ).then(({ deliveries }) => deliveries);
      expect(queued.map((d) => d.subjectId)).toEqual([created.id, created.id, created.id]);

      // The worker back: the queued events arrive, and they were the ones queued (none is owed any more).
      await stack.startRest();
      const accepted = await receiver.waitForAccepted(3);
      await drained(hub.id);
      expect(accepted.map((r) => r.body.eventId).sort()).toEqual(queued.map((d) => String(d._id).split(':')[0]).sort());
      expect(accepted.map((r) => r.body.eventType)).toEqual([
        'ProductUsageCreateEvent',
        'ProductUsageStateChangeEvent',
        'ProductUsageAttributeValueChangeEvent',
      ]);
      await stack.rest('DELETE', `${v5}/hub/${hub.id}`);
    } finally {
      await receiver.close();
    }
  });

  it('serves v4 hubs with v4 event names and bodies', async () => {
    const receiver = await startReceiver(() => 204);
    try {
      const hub = await stack.rest('POST', `${v4}/hub`, { callback: receiver.url, query: 'eventType=UsageCreateEvent&usageType=v4-hook' });
      expect(hub.status).toBe(201);
      expect(validate('v4.EventSubscription', hub.body)).toEqual([]);
      const created = (await stack.rest('POST', `${v4}/usage`, { usageType: 'v4-hook', usageSpecification: { id: 's' } })).body;
      await stack.rest('DELETE', `${v4}/usage/${created.id}`);
      const [delivery] = await receiver.waitForAccepted(1);
      expect(delivery!.body).toMatchObject({ eventType: 'UsageCreateEvent', event: { usage: { id: created.id, status: 'received' } } });
      expect(validate('v4.Usage', delivery!.body.event.usage)).toEqual([]);
      // The delete event was not queued for this hub: had it been, it would be owed until delivered
      // (after the create, its usage's events going in order), and the receiver would have it.
      await drained(hub.body.id);
      expect(receiver.requests).toHaveLength(1);
      expect((await stack.rest('DELETE', `${v4}/hub/${hub.body.id}`)).status).toBe(204);
    } finally {
      await receiver.close();
    }
  });

  it('suspends a hub whose callback keeps failing, visibly', async () => {
    const receiver = await startReceiver(() => 503);
    try {
      const hub = (await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', callback: receiver.url, query: 'usageType=always-down' })).body;
      await stack.rest('POST', `${v5}/productUsage`, { ...usage('p'), usageType: 'always-down' });
      const state = await waitUntil(
        `hub ${hub.id} to be suspended`,
        async () => (await stack.rest('GET', `${v5}/hub/${hub.id}`)).body,
        (body) => body.status === 'suspended',
      );
      expect(state).toMatchObject({ status: 'suspended', lastError: 'The callback answered HTTP 503.' });
      expect(receiver.requests).toHaveLength(4);
      await stack.rest('DELETE', `${v5}/hub/${hub.id}`);
    } finally {
      await receiver.close();
    }
  });

  it('delivers the v5 ExportJob events of a job, in order, to a v5 hub that asks for them', async () => {
    const receiver = await startReceiver(() => 200);
    try {
      const query = 'eventType=ExportJobCreateEvent,ExportJobStateChangeEvent,ExportJobDeleteEvent';
      const hub = (await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', callback: receiver.url, query })).body;
      const job = (await stack.rest('POST', `${v5}/exportJob`, { '@type': 'ExportJob', query: 'usageType=nothing-matches' })).body;
      await waitUntil(
        `export job ${job.id} to succeed`,
        async () => (await stack.rest('GET', `${v5}/exportJob/${job.id}`)).body,
        (body) => body.status === 'Succeeded',
      );
      expect((await stack.rest('DELETE', `${v5}/exportJob/${job.id}`)).status).toBe(204);

      const accepted = await receiver.waitForAccepted(4);
      expect(accepted.map((r) => [r.body.eventType, r.body.event.exportJob.status])).toEqual([
        ['ExportJobCreateEvent', 'Not Started'],
        ['ExportJobStateChangeEvent', 'Running'],
        ['ExportJobStateChangeEvent', 'Succeeded'],
        ['ExportJobDeleteEvent', 'Succeeded'],
      ]);
      for (const delivery of accepted) {
        expect(delivery.body.event.exportJob).toMatchObject({ id: job.id, '@type': 'ExportJob', href: job.href });
        expect(validate('v5.ExportJob_RES', delivery.body.event.exportJob)).toEqual([]);
      }
      // A usage event is not among them: the hub named only ExportJob events.
      // Had it been queued for this hub, the hub would owe it until the receiver had it.
      await stack.rest('POST', `${v5}/productUsage`, usage('export-hub'));
      await drained(hub.id);
      expect(receiver.requests).toHaveLength(4);
      await stack.rest('DELETE', `${v5}/hub/${hub.id}`);
    } finally {
      await receiver.close();
    }
  });

  it('with private callbacks denied, refuses a name that resolves to loopback when it delivers, and records why', async () => {
    const receiver = await startReceiver(() => 200);
    // Registered while allowed; the adapter that delivers is then restarted with the policy set to
    // deny: the case of a name that was public at registration and points inside later.
    const callback = receiver.url.replace('127.0.0.1', 'localhost');
    const hub = (await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', callback, query: 'usageType=private-target' })).body;
    await stack.system.rest.close();
    await stack.startRest({ hubPrivateCallbacks: 'deny' });
    try {
      await stack.rest('POST', `${v5}/productUsage`, { ...usage('p'), usageType: 'private-target' });
      const state = await waitUntil(
        `hub ${hub.id} to record a failed delivery`,
        async () => (await stack.rest('GET', `${v5}/hub/${hub.id}`)).body,
        (body) => Boolean(body.lastError),
      );
      expect(state.lastError).toBe('The callback resolves to a loopback, private or link-local address, which this deployment refuses.');
      expect(receiver.requests).toHaveLength(0);
      await stack.rest('DELETE', `${v5}/hub/${hub.id}`);
    } finally {
      await receiver.close();
    }
  });

  it('refuses callbacks that are not http(s) URLs or carry credentials, and unknown query keys', async () => {
    for (const [body, reason] of [
      [{ callback: 'ftp://example.com/x' }, /http or https/],
      [{ callback: 'http://user:secret@example.com/x' }, /credentials/],
      [{ callback: 'not a url' }, /absolute URL/],
      [{ callback: 'http://example.com/x', query: 'colour=blue' }, /colour/],
      [{ callback: 'http://example.com/x', query: 'eventType=UsageCreateEvent' }, /UsageCreateEvent/],
      [{}, /callback/],
    ] as const) {
      const response = await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', ...body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body['@type']).toBe('Error');
      expect(response.body.message).toMatch(reason);
    }
    expect((await stack.rest('POST', `${v5}/hub`, { callback: 'http://example.com/x' })).body.message).toMatch(/@type/);
  });
});

describe('TMF hub webhooks under faults', () => {
  const hubState = async (id: string) => (await stack.rest('GET', `${v5}/hub/${id}`)).body;
  const register = async (callback: string, query: string) => (await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', callback, query })).body;

  it('counts a burst of failures to one hub as one streak of attempts, not one failure per delivery', async () => {
    let up = false;
    const receiver = await startReceiver(() => (up ? 200 : 503));
    try {
      const hub = await register(receiver.url, 'usageType=burst');
      // Eight events queued before the worker looks: they are all due at once when it starts.
      await stack.system.rest.close();
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push(dataOf(await stack.request(CreateUsageDocument, { input: { usageType: 'burst' } })).createProductUsage.id);
      await stack.startRest();
      // The receiver is down until the hub has recorded its first failure, then it is back.
      await expect.poll(async () => (await hubState(hub.id)).lastError, { interval: 5, timeout: 10_000 }).toBe('The callback answered HTTP 503.');
      up = true;
      const accepted = await receiver.waitForAccepted(8);
      expect(accepted.map((r) => r.body.event.productUsage.id).sort()).toEqual([...ids].sort());
      expect(receiver.requests.filter((r) => r.status === 503).length).toBeLessThan(4);
      expect(await hubState(hub.id)).toMatchObject({ status: 'active' });
      await stack.rest('DELETE', `${v5}/hub/${hub.id}`);
    } finally {
      await receiver.close();
    }
  });

  it('keeps the events made while a hub is suspended and delivers them in order once it is registered again', async () => {
    let up = false;
    const receiver = await startReceiver(() => (up ? 200 : 503));
    try {
      const query = 'usageType=while-suspended';
      const hub = await register(receiver.url, query);
      const first = (await stack.rest('POST', `${v5}/productUsage`, { ...usage('p'), usageType: 'while-suspended' })).body;
      await expect.poll(async () => (await hubState(hub.id)).status, { timeout: 10_000 }).toBe('suspended');
      expect(receiver.requests).toHaveLength(4);
      await stack.rest('PATCH', `${v5}/productUsage/${first.id}`, { '@type': 'ProductUsage', status: 'rated' });
      const second = (await stack.rest('POST', `${v5}/productUsage`, { ...usage('p'), usageType: 'while-suspended' })).body;
      // Kept while suspended: the failed first event and the two made since are owed, none tried again.
      expect(await owed(hub.id)).toBe(3);
      expect(receiver.requests).toHaveLength(4);

      up = true;
      const again = await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', callback: receiver.url, query });
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ id: hub.id, status: 'active' });
      const accepted = await receiver.waitForAccepted(3);
      expect(accepted.map((r) => [r.body.eventType, r.body.event.productUsage.id])).toEqual([
        ['ProductUsageCreateEvent', first.id],
        ['ProductUsageStateChangeEvent', first.id],
        ['ProductUsageCreateEvent', second.id],
      ]);
      await expect.poll(async () => (await hubState(hub.id)).lastError).toBeUndefined();
      await drained(hub.id);
      expect(receiver.accepted()).toHaveLength(3);
      await stack.rest('DELETE', `${v5}/hub/${hub.id}`);
    } finally {
      await receiver.close();
    }
  });

  it('registering the same callback and query again is the same hub, with its queued deliveries kept', async () => {
    const receiver = await startReceiver((attempt) => (attempt === 1 ? 500 : 200));
    try {
      const query = 'usageType=registered-twice';
      const hub = await register(receiver.url, query);
      const first = (await stack.rest('POST', `${v5}/productUsage`, { ...usage('p'), usageType: 'registered-twice' })).body;
      // Its delivery failed once and waits for a retry when the hub is registered again.
      await expect.poll(() => receiver.requests.map((r) => r.status)).toEqual([500]);
      const again = await register(receiver.url, query);
      expect(again.id).toBe(hub.id);
      const second = (await stack.rest('POST', `${v5}/productUsage`, { ...usage('p'), usageType: 'registered-twice' })).body;
      const accepted = await receiver.waitForAccepted(2);
      expect(accepted.map((r) => r.body.event.productUsage.id).sort()).toEqual([first.id, second.id].sort());
      // Nothing more owed, so no event is on its way a second time.
      await drained(hub.id);
      expect(receiver.accepted()).toHaveLength(2);
      await stack.rest('DELETE', `${v5}/hub/${hub.id}`);
      expect((await stack.rest('GET', `${v5}/hub/${hub.id}`)).status).toBe(404);
    } finally {
      await receiver.close();
    }
  });

  it('registering the same callback and query at the same time makes one hub', async () => {
    const receiver = await startReceiver(() => 200);
    try {
      const body = { '@type': 'Hub', callback: receiver.url, query: 'usageType=registered-at-once' };
      const answers = await Promise.all(Array.from({ length: 6 }, () => stack.rest('POST', `${v5}/hub`, body)));
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      await stack.rest('POST', `${v5}/productUsage`, { ...usage('p'), usageType: 'registered-at-once' });
      await receiver.waitForAccepted(1);
      // One hub stored, so one delivery of the one event, and nothing else owed for it.
      expect(await stack.db.collection('hubs').countDocuments({ callback: receiver.url })).toBe(1);
      await drained(answers[0]!.body.id);
      await stack.rest('DELETE', `${v5}/hub/${answers[0]!.body.id}`);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('a receiver that never answers delays its own hub only', async () => {
    const stuck = await startReceiver(() => new Promise<number>(() => {}));
    const healthy = await startReceiver(() => 200);
    try {
      const stuckHub = await register(stuck.url, 'usageType=stuck-hub');
      const healthyHub = await register(healthy.url, 'usageType=healthy-hub');
      await stack.rest('POST', `${v5}/productUsage`, { ...usage('p'), usageType: 'stuck-hub' });
      await expect.poll(() => stuck.requests.length).toBe(1);
      for (let i = 0; i < 3; i++) await stack.rest('POST', `${v5}/productUsage`, { ...usage('p'), usageType: 'healthy-hub' });
      // Well within the 5 s the stuck callback is given before it counts as failed.
      await expect.poll(() => healthy.accepted().length, { timeout: 2_500 }).toBe(3);
      expect(stuck.requests).toHaveLength(1);
      await stack.rest('DELETE', `${v5}/hub/${stuckHub.id}`);
      await stack.rest('DELETE', `${v5}/hub/${healthyHub.id}`);
    } finally {
      await Promise.all([stuck.close(), healthy.close()]);
    }
  });
});
