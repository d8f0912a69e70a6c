import { describe, expect, it } from 'vitest';
import { createMemoryBus, filterEvents, SubscriberTooSlowError } from '../../platform/event-bus.js';
import { eventMatches, updateEventTypes, type UsageEvent } from '../../subgraphs/usage/product-usage/events.js';
import type { ProductUsageDocument } from '../../subgraphs/usage/product-usage/documents.js';

describe('the in-memory event bus', () => {
  it('delivers to every subscriber of a topic, in order, and counts live subscribers', async () => {
    const bus = createMemoryBus();
    const first = bus.subscribe<number>('t');
    const second = bus.subscribe<number>('t');
    const other = bus.subscribe<number>('u');
    expect(bus.subscriberCount('t')).toBe(2);
    for (const n of [1, 2, 3]) await bus.publish('t', n as never);
    for (const subscription of [first, second]) {
      expect([(await subscription.next()).value, (await subscription.next()).value, (await subscription.next()).value]).toEqual([1, 2, 3]);
    }
    await first.return!();
    expect(bus.subscriberCount('t')).toBe(1);
    await bus.close();
    expect(await second.next()).toEqual({ value: undefined, done: true });
    expect(await other.next()).toEqual({ value: undefined, done: true });
  });

  it('ends a subscriber that falls too far behind without holding the others back', async () => {
    const bus = createMemoryBus(3);
    const slow = bus.subscribe<number>('t');
    const fast = bus.subscribe<number>('t');
    const seen: number[] = [];
    for (let n = 0; n < 5; n++) {
      await bus.publish('t', n as never);
      seen.push((await fast.next()).value);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    await expect(slow.next()).rejects.toBeInstanceOf(SubscriberTooSlowError);
    expect(bus.subscriberCount('t')).toBe(1);
  });

  it('filters events and passes an early end through to the source', async () => {
    const bus = createMemoryBus();
    const source = bus.subscribe<number>('t');
    const evens = filterEvents(source, (n) => n % 2 === 0);
    for (const n of [1, 2, 3, 4]) await bus.publish('t', n as never);
    expect((await evens.next()).value).toBe(2);
    expect((await evens.next()).value).toBe(4);
    await evens.return!();
    expect(bus.subscriberCount('t')).toBe(0);
  });
});

const usage = (over: Partial<ProductUsageDocument> = {}): ProductUsageDocument => ({
  _id: 'u1',
  type: 'ProductUsage',
  status: 'initialized',
  creationDate: new Date(0),
  lastUpdate: new Date(0),
  usageCharacteristic: [],
  relatedParty: [{ role: 'customer', partyOrPartyRole: { id: 'p1', type: 'PartyRef' } }],
  usageProductPrice: [],
  ratedProductUsage: [],
  externalIdentifier: [],
  usageSpecification: { id: 's1' },
  usageType: 'voice',
  ...over,
});

describe('usage events', () => {
  it('an update makes a state change, an attribute change, both or none', () => {
    const later = new Date(1);
    expect(updateEventTypes(usage(), usage({ status: 'rated', lastUpdate: later }))).toEqual(['ProductUsageStateChangeEvent']);
    expect(updateEventTypes(usage(), usage({ description: 'x', lastUpdate: later }))).toEqual(['ProductUsageAttributeValueChangeEvent']);
    expect(updateEventTypes(usage(), usage({ status: 'rated', usageType: 'sms' }))).toEqual([
      'ProductUsageStateChangeEvent',
      'ProductUsageAttributeValueChangeEvent',
    ]);
    expect(updateEventTypes(usage(), usage({ lastUpdate: later }))).toEqual([]);
  });

  it('matches a subscriber filter field by field', () => {
    const event: UsageEvent = { eventId: 'e', eventTime: new Date(), eventType: 'ProductUsageCreateEvent', usage: usage() };
    expect(eventMatches(event, undefined, undefined)).toBe(true);
    expect(eventMatches(event, { relatedPartyId: ['p1', 'p9'], status: ['initialized'] }, null)).toBe(true);
    expect(eventMatches(event, { relatedPartyId: ['p2'] }, null)).toBe(false);
    expect(eventMatches(event, { usageSpecificationId: ['s2'] }, null)).toBe(false);
    expect(eventMatches(event, { usageType: ['voice'] }, ['ProductUsageDeleteEvent'])).toBe(false);
  });
});
