import { randomUUID } from 'node:crypto';
import { BSON } from 'mongodb';
import { badUserInput, ErrorCode, notFound, UsageGraphError } from '../../../platform/errors.js';
import { isLocalHostName, isPrivateAddress } from '../../../platform/private-address.js';
import { isUsageEvent, type HubEvent } from '../product-usage/events.js';
import { isIngestRejectionEvent, rejectionOf } from '../rejections/events.js';
import type { HubDocument, LeasedDelivery } from './documents.js';
import type { HubDeliveryResolvers, HubResolvers, MutationResolvers, QueryResolvers, Resolvers } from '../generated/resolvers.js';

/**
 * Callbacks are absolute http(s) URLs without credentials (a secret in a URL ends up in logs).
 * With `privateCallbacks: 'deny'` a literal private address or a localhost name is refused here;
 * names that resolve to private addresses are refused at delivery (rest-adapter/callback-agent.ts),
 * where the address actually used is known.
 */
export function checkCallback(callback: string, privateCallbacks: 'allow' | 'deny'): void {
  let url: URL;
  try {
    url = new URL(callback);
  } catch {
    throw badUserInput(`callback must be an absolute URL; got ${JSON.stringify(callback)}.`, 'callback');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badUserInput('callback must use http or https.', 'callback');
  if (url.username || url.password) throw badUserInput('callback must not carry credentials; receivers verify the signature header instead.', 'callback');
  if (callback.length > 2048) throw badUserInput('callback is longer than 2048 characters.', 'callback');
  if (privateCallbacks === 'deny' && (isPrivateAddress(url.hostname) || isLocalHostName(url.hostname))) {
    throw badUserInput('callback must be a public address: this deployment refuses loopback, private and link-local callbacks.', 'callback');
  }
}

/** Exponential backoff with a cap: base, 2 base, 4 base ... */
export const retryDelay = (attempt: number, baseMs: number, maxMs: number) => Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));

export const hubQueries: Pick<QueryResolvers, 'hub'> = {
  hub: async (_root, { id }, { hubs }) => (await hubs.findByIds([id]))[0] ?? null,
};

export const hubMutations: Pick<MutationResolvers, 'createHub' | 'deleteHub' | 'leaseHubDeliveries' | 'completeHubDelivery' | 'failHubDelivery'> = {
  createHub: async (_root, { input }, { outbox, hubs, deliveries, settings }) => {
    checkCallback(input.callback, settings.hubPrivateCallbacks);
    const query = input.query ?? null;
    // The same callback and query again (same tenant and version) is the same hub: it resumes, with
    // the deliveries it has waiting, which are due at once.
    const resumeRegistration = async () => {
      const existing = await hubs.findRegistration(input.callback, query, input.apiVersion);
      const resumed = existing && (await hubs.resume(existing._id));
      if (!resumed) return null;
      await deliveries.dueNowForHub(resumed._id, new Date());
      await outbox.changed();
      return resumed;
    };
    const resumed = await resumeRegistration();
    if (resumed) return resumed;
    const hub: HubDocument = {
      _id: randomUUID(),
      callback: input.callback,
      query,
      apiVersion: input.apiVersion,
      status: 'active',
      creationDate: new Date(),
      consecutiveFailures: 0,
      lastError: null,
      filter: input.filter ?? null,
      eventTypes: input.eventTypes ?? null,
    };
    try {
      const stored = await hubs.insert(hub);
      await outbox.changed();
      return stored;
    } catch (error) {
      // Registered by a request at the same time (the unique registration index): that hub is this one.
      if (!(error instanceof UsageGraphError && error.code === ErrorCode.CONFLICT)) throw error;
      const registered = await resumeRegistration();
      if (!registered) throw error;
      return registered;
    }
  },
  deleteHub: async (_root, { id }, { outbox, hubs, deliveries }) => {
    const deleted = await hubs.delete(id);
    if (!deleted) throw notFound('Hub', id);
    await deliveries.removeForHub(id);
    await outbox.changed();
    return deleted;
  },
  leaseHubDeliveries: async (_root, { worker, limit, leaseSeconds }, context) => {
    const size = Math.min(Math.max(limit ?? 50, 1), 500);
    const seconds = Math.min(Math.max(leaseSeconds ?? 30, 1), 600);
    const now = new Date();
    const until = new Date(now.getTime() + seconds * 1_000);
    const [hubs, deliveries] = [context.deliveryHubs, context.workerDeliveries];
    // At most one delivery per hub, and only for a hub no worker holds: deliveries to one hub are
    // made one at a time, in order, so its failure count is of attempts in a row; hubs do not wait
    // for each other.
    const leased: LeasedDelivery[] = [];
    for (const hubId of await deliveries.hubsWithDue(now, size * 4)) {
      if (leased.length >= size) break;
      if (!(await hubs.lease(hubId, worker, now, until))) continue;
      const head = await deliveries.headFor(hubId, now);
      const doc = head && (await deliveries.lease(head._id, worker, now, until));
      if (doc) leased.push({ doc, event: BSON.EJSON.parse(doc.event, { relaxed: false }) as HubEvent });
      else await hubs.release(hubId, worker);
    }
    return leased;
  },
  completeHubDelivery: async (_root, { id, worker }, context) => {
    const done = await context.workerDeliveries.complete(id, worker);
    if (done) await context.deliveryHubs.recordSuccess(done.hubId, worker);
    return Boolean(done);
  },
  failHubDelivery: async (_root, { id, worker, error }, context) => {
    const { baseMs, maxMs, maxFailures } = context.settings.hubRetry;
    const deliveries = context.workerDeliveries;
    const [current] = await deliveries.findByIds([id]);
    if (!current || current.leaseOwner !== worker) return false;
    const rescheduled = await deliveries.retryLater(id, worker, new Date(Date.now() + retryDelay(current.attempt, baseMs, maxMs)));
    if (rescheduled)
      await context.deliveryHubs.recordFailure(rescheduled.hubId, worker, error.slice(0, 500), maxFailures, (failures) => retryDelay(failures, baseMs, maxMs));
    return Boolean(rescheduled);
  },
};

export const Hub: HubResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.hubById.load(reference.id),
  id: (hub) => hub._id,
};

export const HubDelivery: HubDeliveryResolvers = {
  id: ({ doc }) => doc._id,
  hub: async ({ doc }, _args, { loaders }) => {
    const hub = await loaders.deliveryHubById.load(doc.hubId);
    if (!hub) throw notFound('Hub', doc.hubId);
    return hub;
  },
  attempt: ({ doc }) => doc.attempt + 1,
  eventId: ({ event }) => event.eventId,
  eventTime: ({ event }) => event.eventTime,
  eventType: ({ event }) => event.eventType,
  productUsage: ({ event }) => (isUsageEvent(event) ? event.usage : null),
  exportJob: ({ event }) => ('exportJob' in event ? event.exportJob : null),
  ingestionRejection: ({ event }) => (isIngestRejectionEvent(event) ? rejectionOf(event.rejection) : null),
};

/** This feature's part of the usage subgraph's resolvers (resolvers.ts combines the features). */
export const hubResolvers: Resolvers = { Query: hubQueries, Mutation: hubMutations, Hub, HubDelivery };
