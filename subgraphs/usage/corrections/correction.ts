import { BSON } from 'mongodb';
import { badUserInput } from '../../../platform/errors.js';
import { dayKey, monthKey } from '../ingestion/usages.js';
import { storedPatch, usageListFields, withoutOutbox, type ProductUsageDocument } from '../product-usage/documents.js';
import type { ProductUsageCorrectionInput } from '../generated/resolvers.js';

/**
 * The pure half of corrections (no I/O): what a correction changes, and the usage it becomes. The
 * write protocol is writer.ts.
 */

/** The fields a correction may change (schema/usage.graphql, ProductUsageCorrectionInput). */
export const correctableFields = ['usageDate', 'description', 'usageCharacteristic', 'usageProductPrice', 'ratedProductUsage'] as const;

const maxReasonLength = 1000;

export function checkedReason(reason: string): string {
  const trimmed = reason.trim();
  if (!trimmed || trimmed.length > maxReasonLength) throw badUserInput(`reason must be 1 to ${maxReasonLength} characters.`, 'reason');
  return trimmed;
}

/**
 * The correction of `before` by `input`, as it is first stored: pending, with status superseded, so
 * that nothing counts it until the usage it corrects names it (writer.ts). Every field but those
 * `input` gives is `before`'s; an ingested usage keeps its KPI fields, its value and day following the
 * correction.
 */
export function pendingCorrection(
  before: ProductUsageDocument,
  input: ProductUsageCorrectionInput,
  meta: { id: string; now: Date; reason: string; subject: string },
): ProductUsageDocument {
  const given = correctableFields.filter((field) => input[field] !== undefined);
  if (!given.length) throw badUserInput(`A correction changes at least one of ${correctableFields.join(', ')}.`, 'input');
  const {
    _id,
    tenant: _tenant,
    idempotency: _idempotency,
    supersededBy: _supersededBy,
    correction: previous,
    correctionPending: _pending,
    ...kept
  } = withoutOutbox(before);
  const changes = storedPatch(input);
  const after: Record<string, unknown> = { ...kept };
  for (const field of given) {
    const value = changes[field] as unknown;
    if (value !== null) after[field] = value;
    else if ((usageListFields as readonly string[]).includes(field)) after[field] = [];
    else delete after[field];
  }
  // A BSON round trip: input objects (null prototypes, undefined fields) stored as the database stores them.
  const doc = BSON.deserialize(BSON.serialize(after)) as Omit<ProductUsageDocument, '_id'>;
  if (doc.ingest) doc.ingest = ingestOf(doc);
  return {
    ...doc,
    _id: meta.id,
    creationDate: meta.now,
    lastUpdate: meta.now,
    status: 'superseded',
    correctionPending: true,
    correction: { corrects: _id, original: previous?.original ?? _id, reason: meta.reason, correctedAt: meta.now, correctedBy: meta.subject },
  };
}

/**
 * An ingested usage's KPI fields after a correction: the KPI counts the `value` characteristic on the
 * day of usageDate, so both must still be there.
 */
function ingestOf(doc: Omit<ProductUsageDocument, '_id'>): NonNullable<ProductUsageDocument['ingest']> {
  const value = doc.usageCharacteristic.find((c) => c.name === 'value')?.value;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw badUserInput('An ingested usage counts in its KPI by its "value" characteristic: the correction must keep it a number.', 'input.usageCharacteristic');
  if (!(doc.usageDate instanceof Date))
    throw badUserInput('An ingested usage counts in its KPI on its usageDate: the correction cannot clear it.', 'input.usageDate');
  return { ...doc.ingest!, value, day: dayKey(doc.usageDate), month: monthKey(doc.usageDate) };
}

/** The correction once in effect: what its create event announces. */
export function inEffect(pending: ProductUsageDocument): ProductUsageDocument {
  const { correctionPending: _pending, ...correction } = pending;
  return { ...correction, status: 'corrected' };
}
