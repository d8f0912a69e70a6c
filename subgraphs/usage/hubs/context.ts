import { Scope } from '../../../platform/caller.js';
import type { HubOutbox } from './outbox.js';
import type { DeliveryRepository, HubRepository } from './repository.js';

/** What the hub resolvers read of one request's context. */
export interface HubContext {
  /** The caller's tenant's hubs. */
  hubs: HubRepository;
  deliveries: DeliveryRepository;
  /**
   * The hubs and deliveries the delivery mutations lease and settle, and a delivery's `hub` field
   * reads: the delivery worker (`hub:deliver`, a service scope) works for every tenant, that is its
   * job; any other caller, an admin included, sees only its own tenant's.
   */
  deliveryHubs: HubRepository;
  workerDeliveries: DeliveryRepository;
}

export function hubContext(services: { outbox: HubOutbox }, tenant: string, scopes: readonly string[]): HubContext {
  const hubs = services.outbox.hubs.forTenant(tenant);
  const deliveries = services.outbox.deliveries.forTenant(tenant);
  const worker = scopes.includes(Scope.HUB_DELIVER);
  return {
    hubs,
    deliveries,
    deliveryHubs: worker ? services.outbox.hubs : hubs,
    workerDeliveries: worker ? services.outbox.deliveries : deliveries,
  };
}
