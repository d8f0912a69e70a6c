import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubOutbox } from '../../subgraphs/usage/hubs/outbox.js';
import { DeliveryRepository, HubRepository } from '../../subgraphs/usage/hubs/repository.js';
import { ProductUsageRepository, usageCollectionName } from '../../subgraphs/usage/product-usage/repository.js';
import type { UsageEvent } from '../../subgraphs/usage/product-usage/events.js';
import type { ProductUsageDocument } from '../../subgraphs/usage/product-usage/documents.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startStack, type Stack } from '../support/stack.js';

const v5 = '/tmf-api/productUsageManagement/v5';
const tenant = 'test-tenant';
let stack: Stack;
let outbox: HubOutbox;
beforeAll(async () => {
  stack = await startStack('webhook-outbox', { HUB_RETRY_BASE_MS: '50', HUB_RETRY_MAX_MS: '200' });
  // The outbox of another usage-subgraph process on the same database: what a second instance, or this
  // one before it was killed, would run.
  outbox = new HubOutbox(
    await HubRepository.open(stack.db, (message) => expect.fail(message)),
    await DeliveryRepository.open(stack.db),
    await ProductUsageRepository.open(stack.db),
  );
});
afterAll(async () => {
  await stack?.close();
});

const usage = (usageType: string) => ({
  '@type': 'ProductUsage',
  usageType,
  product: { '@type': 'ProductRef', id: 'prod' },
  usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec' },
});
const usages = () => stack.db.collection<ProductUsageDocument>(usageCollectionName);
const deliveries = () => stack.db.collection('hubDeliveries');

async function withHub(usageType: string, test: (receiver: Receiver, hubId: string) => Promise<void>) {
  const receiver = await startReceiver(() => 200);
  const hub = await stack.rest('POST', `${v5}/hub`, { '@type': 'Hub', callback: receiver.url, query: `usageType=${usageType}` });
  expect(hub.status).toBe(201);
  try {
    await test(receiver, hub.body.id);
  } finally {
    await stack.rest('DELETE', `${v5}/hub/${hub.body.id}`);
    await receiver.close();
  }
}

/**
 * A usage stored with its create event by a process that stopped before relaying it: the write as the
 * resolver makes it (its events staged by the outbox's own code), and no relay after.
 */
async function storedByAStoppedProcess(usageType: string): Promise<ProductUsageDocument> {
  const now = new Date();
  const doc: ProductUsageDocument = {
    _id: randomUUID(),
    type: 'ProductUsage',
    status: 'received',
    usageType,
    relatedParty: [],
    externalIdentifier: [],
    ratedProductUsage: [],
    usageCharacteristic: [],
    usageProductPrice: [],
    creationDate: now,
    lastUpdate: now,
  };
  const event: UsageEvent = { eventId: randomUUID(), eventTime: now, eventType: 'ProductUsageCreateEvent', usage: { ...doc, tenant } };
  outbox.invalidate();
  const pending = await outbox.pending([event]);
  expect(pending).toHaveLength(1);
  // Written a few seconds ago: the sweep leaves younger events to the relay of the write that made them.
  const stored = { ...doc, tenant, outbox: pending.map((p) => ({ ...p, seq: p.seq - 10_000_000 })) };
  await usages().insertOne(stored);
  return stored;
}

describe('the webhook outbox', () => {
  it('delivers the event of a write whose process stopped before relaying it, once, and clears it off the usage', async () => {
    await withHub('left-behind', async (receiver) => {
      const doc = await storedByAStoppedProcess('left-behind');
      const [delivered] = await receiver.waitForAccepted(1, 15_000);
      expect(delivered!.body).toMatchObject({
        eventId: doc.outbox![0]!.eventId,
        eventType: 'ProductUsageCreateEvent',
        event: { productUsage: { id: doc._id } },
      });
      const after = await usages().findOne({ _id: doc._id });
      expect(after).not.toHaveProperty('outbox');
      expect(receiver.requests.map((r) => r.body.eventId)).toEqual([doc.outbox![0]!.eventId]);
    });
  });

  it('queues an event once however many relays run it, side by side or again', async () => {
    await withHub('relayed-twice', async (_receiver, hubId) => {
      await stack.system.rest.close(); // no delivery worker: what is queued stays queued
      try {
        const doc = await storedByAStoppedProcess('relayed-twice');
        await Promise.all([outbox.relay([doc]), outbox.relay([doc]), outbox.sweep()]);
        await outbox.relay([doc]);
        const queued = await deliveries().find({ subjectId: doc._id }).toArray();
        expect(queued.map((d) => [d._id, d.hubId])).toEqual([[`${doc.outbox![0]!.eventId}:${hubId}`, hubId]]);
        expect(await usages().findOne({ _id: doc._id })).not.toHaveProperty('outbox');
      } finally {
        await stack.startRest();
      }
    });
  });

  it('a delete is gone for readers at once and its event is delivered, the document removed after', async () => {
    await withHub('deleted', async (receiver) => {
      const created = await stack.rest('POST', `${v5}/productUsage`, usage('deleted'));
      expect((await stack.rest('DELETE', `${v5}/productUsage/${created.body.id}`)).status).toBe(204);
      expect((await stack.rest('GET', `${v5}/productUsage/${created.body.id}`)).status).toBe(404);
      expect((await stack.rest('DELETE', `${v5}/productUsage/${created.body.id}`)).status).toBe(404);
      const events = await receiver.waitForAccepted(2);
      expect(events.map((r) => r.body.eventType)).toEqual(['ProductUsageCreateEvent', 'ProductUsageDeleteEvent']);
      expect(events[1]!.body.event.productUsage).toMatchObject({ id: created.body.id, usageType: 'deleted' });
      expect(await usages().countDocuments({ _id: created.body.id })).toBe(0);
    });
  });

  it('concurrent patches of one usage each make their own event, with the usage as that patch left it, in order', async () => {
    await withHub('patched', async (receiver) => {
      const created = await stack.rest('POST', `${v5}/productUsage`, usage('patched'));
      const descriptions = Array.from({ length: 8 }, (_, i) => `patch ${i}`);
      const answers = await Promise.all(
        descriptions.map((description) => stack.rest('PATCH', `${v5}/productUsage/${created.body.id}`, { '@type': 'ProductUsage', description })),
      );
      expect(answers.map((a) => a.status)).toEqual(descriptions.map(() => 200));
      const events = await receiver.waitForAccepted(1 + descriptions.length);
      const changes = events.slice(1).map((r) => r.body.event.productUsage.description as string);
      // Every patch once, each event showing its own patch, and the last event what is stored.
      expect([...changes].sort()).toEqual(descriptions);
      const stored = await stack.rest('GET', `${v5}/productUsage/${created.body.id}`);
      expect(stored.body.description).toBe(changes.at(-1));
    });
  });

  it('a write that no hub wants carries no outbox', async () => {
    await withHub('wanted', async () => {
      const created = await stack.rest('POST', `${v5}/productUsage`, usage('unwanted'));
      const stored = await usages().findOne({ _id: created.body.id });
      expect(stored).not.toBeNull();
      expect(stored).not.toHaveProperty('outbox');
      expect(await deliveries().countDocuments({ subjectId: created.body.id })).toBe(0);
    });
  });
});
