import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIndividual, createSpecification } from '../support/fixtures.js';
import { createLogger } from '../../platform/logger.js';
import { subgraphSettings } from '../../subgraphs/shared/standalone.js';
import { startSubgraph } from '../../subgraphs/shared/subgraph-server.js';
import { buildUsageSubgraph } from '../../subgraphs/usage/server.js';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe, subscribersLive } from '../support/subscriber.js';

const v5 = '/tmf-api/productUsageManagement/v5/productUsage';
const query = `subscription($filter: ProductUsageEventFilter, $types: [ProductUsageEventType!]) {
  productUsageEvents(filter: $filter, eventTypes: $types) {
    eventId eventTime eventType
    productUsage { id status description usageSpecification { name } relatedParty { role party { name } } }
  }
}`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('subscriptions');
});
afterAll(async () => {
  await stack?.close();
});

const usageFor = (partyId: string, specId: string) => ({
  '@type': 'ProductUsage',
  product: { '@type': 'ProductRef', id: 'prod' },
  usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: specId },
  relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: partyId } }],
});

describe('usage events through the gateway', () => {
  it('delivers create, attribute change, state change and delete made through REST, with fields from other subgraphs', async () => {
    const spec = await createSpecification(stack, 'Live data');
    const party = await createIndividual(stack, 'Eve', 'Live');
    const other = await createIndividual(stack, 'Mallory', 'Other');
    const subscriber = subscribe(stack.wsUrl, query, { filter: { relatedPartyId: [party.id] } });
    try {
      await subscribersLive(stack, 1);
      const created = (await stack.rest('POST', v5, usageFor(party.id, spec.id))).body;
      await stack.rest('POST', v5, usageFor(other.id, spec.id)); // another party: not delivered
      const url = `${v5}/${created.id}`;
      await stack.rest('PATCH', url, { '@type': 'ProductUsage', description: 'roaming' });
      await stack.rest('PATCH', url, { '@type': 'ProductUsage', status: 'rated' });
      await stack.rest('DELETE', url);

      const events = await subscriber.received(4);
      expect(events.map((e) => e.productUsageEvents.eventType)).toEqual([
        'ProductUsageCreateEvent',
        'ProductUsageAttributeValueChangeEvent',
        'ProductUsageStateChangeEvent',
        'ProductUsageDeleteEvent',
      ]);
      expect(events.map((e) => [e.productUsageEvents.productUsage.status, e.productUsageEvents.productUsage.description])).toEqual([
        ['initialized', null],
        ['initialized', 'roaming'],
        ['rated', 'roaming'],
        ['rated', 'roaming'],
      ]);
      for (const { productUsageEvents: event } of events) {
        expect(event.productUsage).toMatchObject({
          id: created.id,
          usageSpecification: { name: 'Live data' },
          relatedParty: [{ role: 'customer', party: { name: 'Eve Live' } }],
        });
        expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
        expect(Date.now() - Date.parse(event.eventTime)).toBeLessThan(30_000);
      }
      expect(new Set(events.map((e) => e.productUsageEvents.eventId)).size).toBe(4);
      expect(subscriber.errors).toEqual([]);
    } finally {
      await subscriber.close();
    }
  });

  it('filters by event type, specification, status and usage type', async () => {
    const spec = `spec-${randomUUID()}`;
    const deletes = subscribe(stack.wsUrl, query, { filter: { usageSpecificationId: [spec] }, types: ['ProductUsageDeleteEvent'] });
    const rated = subscribe(stack.wsUrl, query, { filter: { usageSpecificationId: [spec], status: ['rated'] } });
    try {
      await subscribersLive(stack, 2);
      const first = (await stack.rest('POST', v5, usageFor('p1', spec))).body;
      const second = (await stack.rest('POST', v5, { ...usageFor('p2', spec), status: 'rated' })).body;
      await stack.rest('DELETE', `${v5}/${first.id}`);
      const [deleted] = await deletes.received(1);
      expect(deleted.productUsageEvents).toMatchObject({ eventType: 'ProductUsageDeleteEvent', productUsage: { id: first.id } });
      const [ratedEvent] = await rated.received(1);
      expect(ratedEvent.productUsageEvents).toMatchObject({ eventType: 'ProductUsageCreateEvent', productUsage: { id: second.id } });
      await stack.rest('DELETE', `${v5}/${second.id}`);
      await deletes.received(2);
      expect(deletes.events.map((e) => e.productUsageEvents.productUsage.id)).toEqual([first.id, second.id]);
      expect((await rated.received(2)).map((e) => e.productUsageEvents.eventType)).toEqual(['ProductUsageCreateEvent', 'ProductUsageDeleteEvent']);
    } finally {
      await deletes.close();
      await rated.close();
    }
  });

  it('ends subscriptions cleanly when the usage subgraph stops, and a client can subscribe again once it is back', async () => {
    const subscriber = subscribe(stack.wsUrl, query, { filter: { usageType: ['restart'] } });
    await subscribersLive(stack, 1);
    const index = stack.system.subgraphs.findIndex((s) => s.name === 'usage');
    const usage = stack.system.subgraphs[index]!;
    await usage.close();
    await subscriber.ended();
    expect(JSON.stringify(subscriber.errors)).not.toMatch(/stack|at \S+\.(ts|js)|Mongo/);
    await subscriber.close();

    // The same subgraph comes back on the same port, as a restarted process would.
    const definition = await buildUsageSubgraph(stack.db, subgraphSettings(stack.config), createLogger('error'), stack.system.bus);
    stack.system.subgraphs[index] = await startSubgraph(definition, {
      db: stack.db,
      host: '127.0.0.1',
      port: Number(new URL(usage.url).port),
      bodyLimitBytes: stack.config.bodyLimitBytes,
      internalAuth: stack.internalAuth,
      logger: createLogger('error'),
    });
    const again = subscribe(stack.wsUrl, query, { filter: { usageType: ['restart'] } });
    try {
      await subscribersLive(stack, 1);
      const created = (await stack.rest('POST', v5, { ...usageFor('p', 's'), usageType: 'restart' })).body;
      const [event] = await again.received(1);
      expect(event.productUsageEvents).toMatchObject({ eventType: 'ProductUsageCreateEvent', productUsage: { id: created.id } });
    } finally {
      await again.close();
    }
  });
});
