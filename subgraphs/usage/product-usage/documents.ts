import type { Document } from 'mongodb';
import type { PageSource } from '../../shared/page-source.js';
import type { CorrectionFields } from '../corrections/documents.js';
import type { IngestFields } from '../ingestion/documents.js';
import type { EntityRef, ProductUsage, ProductUsageInput, ProductUsagePatch, RelatedParty, RelatedPartyInput } from '../generated/resolvers.js';

/**
 * MongoDB document types of the usage subgraph, derived from the generated GraphQL types so that
 * the SDL stays the one source of every field.
 */
export interface EntityStub {
  id: string;
}

export type RelatedPartyDocument = Omit<RelatedParty, '__typename' | 'party' | 'partyRole'>;

export type ProductUsageDocument = Omit<
  ProductUsage,
  '__typename' | 'id' | 'href' | 'usageSpecification' | 'usageSpecificationRef' | 'relatedParty' | 'correction' | 'supersededBy' | 'history'
> & {
  _id: string;
  /** The usage specification reference as the sender gave it. */
  usageSpecification?: EntityRef | null;
  relatedParty: RelatedPartyDocument[];
  /** Set on usages that arrived through ingestion (ingestion.ts). */
  ingest?: IngestFields;
  /** Set on usages created with an idempotency key (resolvers/mutation.ts): the key and the create input's hash. */
  idempotency?: { key: string; hash: string };
  /** The caller's tenant, stamped by the repository (shared/repository.ts); never shown to clients. */
  tenant?: string;
} & OutboxFields &
  CorrectionFields;

/**
 * What the transactional outbox keeps on a usage document (hub-outbox.ts): the events of the write
 * that made them, written by that same write, until the relay has queued them for hubs. Never shown
 * to clients.
 */
export interface OutboxFields {
  outbox?: PendingEvent[];
  /** Counts the document's updates: an update applies only to the revision its events were computed from. */
  rev?: number;
  /** Set by a delete: the document stays until its delete event is relayed, then goes (reads by id skip it). */
  deletedAt?: Date;
}

/** One event waiting on its usage's document: `event` is the UsageEvent as extended JSON (dates kept). */
export interface PendingEvent {
  eventId: string;
  /** Order of the usage's events (hubDeliveries.seq). */
  seq: number;
  event: string;
}

/** The usage as clients and events see it: without what the outbox keeps on the document. */
export function withoutOutbox<D extends ProductUsageDocument>(doc: D): Omit<D, keyof OutboxFields> {
  const { outbox: _outbox, rev: _rev, deletedAt: _deletedAt, ...usage } = doc;
  return usage;
}

export type ProductUsagePageSource = PageSource<ProductUsageDocument>;

/**
 * A stored usage in the shape of the GraphQL ProductUsage (without the federated entities): one
 * line of an export file, read by the REST facade with the same mapping as its list responses.
 */
export function usageShape(doc: ProductUsageDocument): Record<string, unknown> {
  const {
    _id,
    usageSpecification,
    ingest: _ingest,
    tenant: _tenant,
    correction: _correction,
    supersededBy: _supersededBy,
    correctionPending: _pending,
    ...rest
  } = withoutOutbox(doc);
  const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
  return {
    ...rest,
    id: _id,
    creationDate: iso(doc.creationDate),
    lastUpdate: iso(doc.lastUpdate),
    usageDate: iso(doc.usageDate),
    usageSpecificationRef: usageSpecification ?? null,
    usageCharacteristic: doc.usageCharacteristic ?? [],
    relatedParty: doc.relatedParty ?? [],
    usageProductPrice: doc.usageProductPrice ?? [],
    ratedProductUsage: (doc.ratedProductUsage ?? []).map((r) => ({
      ...r,
      ratingDate: r.ratingDate instanceof Date ? r.ratingDate.toISOString() : (r.ratingDate ?? null),
    })),
    externalIdentifier: doc.externalIdentifier ?? [],
  };
}

/** Drops keys whose value is null or undefined, so that stored documents hold only what was given. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v != null)) as T;
}

function relatedParty(input: RelatedPartyInput): RelatedPartyDocument {
  const ref = input.partyOrPartyRole;
  return compact({
    role: input.role,
    partyOrPartyRole: compact({ ...ref, type: ref.type ?? 'PartyRef' }),
  });
}

export function newUsageDocument(input: ProductUsageInput, id: string, now: Date): ProductUsageDocument {
  return compact({
    _id: id,
    type: input.type ?? 'ProductUsage',
    baseType: input.baseType,
    schemaLocation: input.schemaLocation,
    creationDate: now,
    lastUpdate: now,
    usageDate: input.usageDate,
    usageType: input.usageType,
    description: input.description,
    status: input.status ?? 'initialized',
    usageCharacteristic: (input.usageCharacteristic ?? []).map(compact),
    relatedParty: (input.relatedParty ?? []).map(relatedParty),
    product: input.product ? compact(input.product) : undefined,
    usageSpecification: input.usageSpecification ? compact(input.usageSpecification) : undefined,
    usageProductPrice: input.usageProductPrice ?? [],
    ratedProductUsage: input.ratedProductUsage ?? [],
    externalIdentifier: (input.externalIdentifier ?? []).map(compact),
  });
}

/** The patch with its nested values shaped as stored (nulls are kept: they mean "clear"). */
export function storedPatch(patch: ProductUsagePatch): Document {
  const out: Document = { ...patch };
  if (patch.relatedParty) out.relatedParty = patch.relatedParty.map(relatedParty);
  if (patch.usageCharacteristic) out.usageCharacteristic = patch.usageCharacteristic.map(compact);
  if (patch.externalIdentifier) out.externalIdentifier = patch.externalIdentifier.map(compact);
  if (patch.product) out.product = compact(patch.product);
  if (patch.usageSpecification) out.usageSpecification = compact(patch.usageSpecification);
  return out;
}

export const usageListFields = ['usageCharacteristic', 'relatedParty', 'usageProductPrice', 'ratedProductUsage', 'externalIdentifier'] as const;
