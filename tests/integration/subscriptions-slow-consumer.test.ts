import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GatewayCloseCode } from '../../gateway/websocket.js';
import { CreateUsageDocument } from '../operations/generated.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';
import { subscribe, subscribersLive } from '../support/subscriber.js';

// A small unread allowance, so a paused client crosses it after a few megabytes of events (the
// kernel's socket buffers on loopback hold some megabytes before the gateway sees anything unread).
const maxBufferedBytes = 65_536;
const query = `subscription($filter: ProductUsageEventFilter) {
  productUsageEvents(filter: $filter) { eventType productUsage { id description } }
}`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('subscriptions_slow', { WS_MAX_BUFFERED_BYTES: String(maxBufferedBytes) });
});
afterAll(async () => {
  await stack?.close();
});

/** A graphql-transport-ws client spoken by hand, so the test can stop reading its socket. */
async function rawSubscriber(url: string, variables: Record<string, unknown>) {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const acked = new Promise((resolve) => socket.once('message', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${stack.token}` } }));
  await acked;
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return { socket, closed };
}

describe('a consumer that stops reading', () => {
  it('is closed as too slow while the other subscribers receive every event', async () => {
    const usageType = `slow-${randomUUID()}`;
    const variables = { filter: { usageType: [usageType] } };
    const slow = await rawSubscriber(stack.wsUrl, variables);
    // Another credential: clients with the same subscription and credentials share one upstream
    // subscription (gateway/shared-subscriptions.ts), and this test needs two.
    const fast = subscribe(stack.wsUrl, query, variables, await stack.mintToken({ subject: 'fast-reader' }));
    try {
      await subscribersLive(stack, 2);
      // Stop reading: from here on everything sent to this client waits in kernel buffers, then in the gateway.
      (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();

      const description = 'x'.repeat(200_000);
      const count = 60;
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const created = dataOf(await stack.request(CreateUsageDocument, { input: { usageType, description } }));
        ids.push(created.createProductUsage.id);
      }
      const events = await fast.received(count, 20_000);
      expect(events.map((e) => e.productUsageEvents.productUsage.id)).toEqual(ids);
      expect(fast.errors).toEqual([]);

      // Reading again, the slow client finds what fitted in its buffers and then the close.
      (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
      expect(await slow.closed).toBe(GatewayCloseCode.ConsumerTooSlow);
    } finally {
      slow.socket.terminate();
      await fast.close();
    }
  });
});
