import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe, subscribersLive } from '../support/subscriber.js';

// Two complete instances (usage subgraph + gateway + REST each) on one database, sharing events
// through the Redis that runs on loopback on every machine here (REDIS_URL overrides).
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const v5 = '/tmf-api/productUsageManagement/v5/productUsage';
const query = `subscription($filter: ProductUsageEventFilter) {
  productUsageEvents(filter: $filter) { eventType productUsage { id usageType } }
}`;

let a: Stack;
let b: Stack;
beforeAll(async () => {
  a = await startStack('subscriptions_redis', { REDIS_URL: redisUrl });
  b = await startStack('subscriptions_redis', { REDIS_URL: redisUrl });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

const body = (usageType: string) => ({
  '@type': 'ProductUsage',
  usageType,
  product: { '@type': 'ProductRef', id: 'prod' },
  usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec' },
});

describe('several instances with REDIS_URL', () => {
  it('delivers events published by either instance to subscribers on both gateways, each exactly once', async () => {
    const usageType = `redis-${randomUUID()}`;
    const onA = subscribe(a.wsUrl, query, { filter: { usageType: [usageType] } });
    const onB = subscribe(b.wsUrl, query, { filter: { usageType: [usageType] } });
    try {
      await subscribersLive(a, 1);
      await subscribersLive(b, 1);
      const viaA = (await a.rest('POST', v5, body(usageType))).body;
      const viaB = (await b.rest('POST', v5, body(usageType))).body;
      for (const subscriber of [onA, onB]) {
        const events = await subscriber.received(2);
        expect(events.map((e) => e.productUsageEvents.productUsage.id).sort()).toEqual([viaA.id, viaB.id].sort());
      }
      // Nothing more arrives: one event per change, not one per instance.
      await a.rest('DELETE', `${v5}/${viaA.id}`);
      await onB.received(3);
      expect(onB.events).toHaveLength(3);
      expect(onB.events[2].productUsageEvents).toEqual({ eventType: 'ProductUsageDeleteEvent', productUsage: { id: viaA.id, usageType } });
    } finally {
      await onA.close();
      await onB.close();
    }
  });
});
