import type { Db } from 'mongodb';
import type { SeenEvent } from './soak-events.js';
import type { TrafficState } from './soak-traffic.js';

/**
 * What the soak checks once the load has stopped: that every write it saw acknowledged is stored
 * exactly once (and each patch's value is in place), and which of the events those writes made
 * reached the hub's receiver and each subscriber, once or more.
 */
export interface StoreCheck {
  /** REST creates acknowledged (201), stored once under their key with the acknowledged id, missing, and keys stored more than once. */
  acknowledged: number;
  storedOnce: number;
  missing: string[];
  duplicatedKeys: string[];
  /** Creates never acknowledged (refused, or still failing when the drain gave up) and whether they were stored anyway. */
  unacknowledged: number;
  storedUnacknowledged: number;
  retried: number;
  maxAttempts: number;
  /** Usages whose stored description is not the last patch acknowledged for them. */
  patchMismatches: string[];
  patchesAcknowledged: number;
  /** Ingestion: usages in acknowledged jobs, usages stored for the soak's consumer, resources stored more than once. */
  ingestAcknowledged: number;
  ingestStored: number;
  ingestDuplicates: number;
  jobStatuses: Map<string, number>;
  /** Every soak usage in the database (warm-ups aside): each made one create event. */
  storedIds: string[];
  warmupIds: Set<string>;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function checkStore(
  db: Db,
  tenant: string,
  state: TrafficState,
  names: { keyPrefix: string; warmupPrefix: string; consumer: string },
): Promise<StoreCheck> {
  const usages = db.collection<{ _id: string; idempotency?: { key: string }; description?: string; ingest?: { resource: string } }>('productUsages');
  const created = await usages
    .find({ tenant, 'idempotency.key': { $regex: `^${escape(names.keyPrefix)}` } }, { projection: { _id: 1, idempotency: 1, description: 1 } })
    .toArray();
  const warmupIds = new Set(created.filter((d) => d.idempotency!.key.startsWith(names.warmupPrefix)).map((d) => d._id));
  const restDocs = created.filter((d) => !warmupIds.has(d._id));
  const byKey = new Map<string, typeof restDocs>();
  for (const doc of restDocs) byKey.set(doc.idempotency!.key, [...(byKey.get(doc.idempotency!.key) ?? []), doc]);
  const acked = state.creates.filter((c) => c.id !== undefined);
  const unacked = state.creates.filter((c) => c.id === undefined);
  const byId = new Map(restDocs.map((d) => [d._id, d]));

  const patchMismatches: string[] = [];
  for (const [id, descriptions] of state.patches) {
    const actual = byId.get(id)?.description;
    if (actual !== descriptions.at(-1)) patchMismatches.push(`${id}: stored ${JSON.stringify(actual)}, last acknowledged ${descriptions.at(-1)}`);
  }

  const ingested = await usages.find({ tenant, 'ingest.tenant': names.consumer }, { projection: { _id: 1, 'ingest.resource': 1 } }).toArray();
  const resources = new Set(ingested.map((d) => d.ingest!.resource));
  const jobStatuses = new Map<string, number>();
  for (const job of state.jobs) {
    const status = job.refused ? `not acknowledged (${job.refused})` : (job.status ?? 'unfinished');
    jobStatuses.set(status, (jobStatuses.get(status) ?? 0) + 1);
  }
  return {
    acknowledged: acked.length,
    storedOnce: acked.filter((c) => byKey.get(c.key)?.length === 1 && byKey.get(c.key)![0]!._id === c.id).length,
    missing: acked.filter((c) => !byKey.has(c.key)).map((c) => `${c.key} (${c.id})`),
    duplicatedKeys: [...byKey].filter(([, docs]) => docs.length > 1).map(([key, docs]) => `${key}: ${docs.length}`),
    unacknowledged: unacked.length,
    storedUnacknowledged: unacked.filter((c) => byKey.has(c.key)).length,
    retried: state.creates.filter((c) => c.attempts > 1).length,
    maxAttempts: Math.max(0, ...state.creates.map((c) => c.attempts)),
    patchMismatches,
    patchesAcknowledged: [...state.patches.values()].reduce((sum, list) => sum + list.length, 0),
    ingestAcknowledged: state.jobs.filter((j) => j.ids.length).reduce((sum, j) => sum + j.usages, 0),
    ingestStored: ingested.length,
    ingestDuplicates: ingested.length - resources.size,
    jobStatuses,
    storedIds: [...restDocs.map((d) => d._id), ...ingested.map((d) => d._id)],
    warmupIds,
  };
}

export interface Expected {
  /** Usages stored: one ProductUsageCreateEvent each. */
  creates: Set<string>;
  /** Acknowledged patches: one ProductUsageAttributeValueChangeEvent each, carrying the description it set. */
  patches: Map<string, string[]>;
}

export interface EventCheck {
  /** Distinct events (eventIds) received, warm-ups aside. */
  unique: number;
  /** Deliveries of an eventId already received (at least once allows them). */
  duplicateDeliveries: number;
  /** One write with more than one distinct eventId: the same change announced twice. */
  duplicatedEvents: number;
  missingCreates: string[];
  missingPatches: string[];
  /** Events no acknowledged write explains, by type. */
  unexpected: Map<string, number>;
  createsSeen: number;
  patchesSeen: number;
}

const createType = 'ProductUsageCreateEvent';
const changeType = 'ProductUsageAttributeValueChangeEvent';

export function checkEvents(events: ReadonlyMap<string, SeenEvent>, expected: Expected, warmupIds: ReadonlySet<string>): EventCheck {
  const creates = new Map<string, number>();
  const changes = new Map<string, number>();
  const unexpected = new Map<string, number>();
  let unique = 0;
  let duplicateDeliveries = 0;
  const expectedChanges = new Set([...expected.patches].flatMap(([id, list]) => list.map((d) => `${id} ${d}`)));
  for (const event of events.values()) {
    if (warmupIds.has(event.usageId)) continue;
    unique++;
    duplicateDeliveries += event.count - 1;
    if (event.eventType === createType && expected.creates.has(event.usageId)) creates.set(event.usageId, (creates.get(event.usageId) ?? 0) + 1);
    else if (event.eventType === changeType && expectedChanges.has(`${event.usageId} ${event.description}`)) {
      const pair = `${event.usageId} ${event.description}`;
      changes.set(pair, (changes.get(pair) ?? 0) + 1);
    } else unexpected.set(event.eventType, (unexpected.get(event.eventType) ?? 0) + 1);
  }
  return {
    unique,
    duplicateDeliveries,
    duplicatedEvents: [...creates.values(), ...changes.values()].filter((n) => n > 1).length,
    missingCreates: [...expected.creates].filter((id) => !creates.has(id)),
    missingPatches: [...expectedChanges].filter((pair) => !changes.has(pair)),
    unexpected,
    createsSeen: creates.size,
    patchesSeen: changes.size,
  };
}
