import { setTimeout as holdIdle } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe, subscribersLive } from '../support/subscriber.js';
import { usageEventTopic } from '../../subgraphs/usage/product-usage/events.js';

// SUBGRAPH_TIMEOUT_MS bounds a subgraph request, not a subscription: a subscription lives until the
// client or the subgraph ends it. Before gateway/plugins/upstream-timeout.ts, the runtime's upstream
// timeout armed a timer per subscription that nothing awaited: the first subscription was completed
// after the timeout, and a second one held past it ended the whole process (an unhandled rejection).
const timeoutMs = 1_000;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('subscriptions_timeout', { SUBGRAPH_TIMEOUT_MS: String(timeoutMs) });
});
afterAll(async () => {
  await stack?.close();
});

const query = 'subscription { productUsageEvents(filter: { usageType: ["held"] }) { eventType productUsage { id } } }';
const v5 = '/tmf-api/productUsageManagement/v5/productUsage';
const create = async () =>
  (
    await stack.rest('POST', v5, {
      '@type': 'ProductUsage',
      usageType: 'held',
      product: { '@type': 'ProductRef', id: 'prod' },
      usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec' },
    })
  ).body as { id: string };

describe('subscriptions and SUBGRAPH_TIMEOUT_MS', () => {
  it('keeps a first and a second subscription past the timeout; both deliver and the gateway answers', async () => {
    const first = subscribe(stack.wsUrl, query);
    await subscribersLive(stack, 1);
    await first.close();
    await expect.poll(() => stack.system.bus.subscriberCount(usageEventTopic(stack.config.mongodbDb))).toBe(0);
    // Two clients of one query share one upstream subscription (gateway/shared-subscriptions.ts).
    const second = subscribe(stack.wsUrl, query);
    const third = subscribe(stack.wsUrl, query);
    try {
      await subscribersLive(stack, 1);
      // The time window is what is tested: both subscriptions sit idle past two timeouts, the span in
      // which the old upstream timeout completed the first and crashed on the second. No event marks
      // "nothing happened", so only elapsed time can show it.
      await holdIdle(timeoutMs * 2.5);
      expect(second.completed).toBe(false);
      expect(second.errors).toEqual([]);
      const created = await create();
      for (const subscriber of [second, third]) {
        const [event] = await subscriber.received(1);
        expect(event).toEqual({ productUsageEvents: { eventType: 'ProductUsageCreateEvent', productUsage: { id: created.id } } });
      }
      const answer = await stack.post(JSON.stringify({ query: '{ productUsages(filter: { usageType: ["held"] }) { totalCount } }' }));
      expect(answer).toEqual({ status: 200, body: { data: { productUsages: { totalCount: 1 } } } });
    } finally {
      await second.close();
      await third.close();
    }
  });
});
