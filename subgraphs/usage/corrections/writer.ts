import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { conflict, notFound } from '../../../platform/errors.js';
import { withoutOutbox, type ProductUsageDocument } from '../product-usage/documents.js';
import type { UsageContext } from '../context.js';
import type { ProductUsageCorrectionInput } from '../generated/resolvers.js';
import { checkedReason, inEffect, pendingCorrection } from './correction.js';

/**
 * Corrections and their reverts: two usage documents change, and FerretDB has no multi-document
 * transaction. Counting only ever looks at one document at a time (the meters, the KPI values), so
 * between two single-document writes the measurement is counted either twice or not at all; these
 * writes choose "not at all", never twice, and finish a half-done step wherever they meet one.
 *
 * A correction is three writes, inside one pair of rollup marks (rollups/maintainer.ts `around`),
 * so the rollups recount every bucket either version is in:
 *  1. insert the correction as *pending*: status superseded (nothing counts it) and `correctionPending`;
 *     no event. A process stopped here leaves a pending correction nobody names; the next
 *     correction of the same usage removes it (safely: see `removeLeftovers`).
 *  2. the commit: the corrected usage becomes superseded and names the correction (`supersededBy`, with
 *     the status to restore), at the revision read (updateRevision), with its StateChange event. A
 *     write that came first makes this fail: the pending correction is removed and the attempt
 *     starts again. Between 2 and 3 neither version counts.
 *  3. the correction goes into effect: status corrected, the mark cleared, its Create event. A
 *     process stopped before this leaves a usage superseded by a pending correction; whoever next
 *     corrects or reverts in that chain (a retry of the same request included) finishes it first.
 * Inserting the correction first means the commit (2) is one write on one document, so a half-done
 * correction is always finished forward, never guessed back, and two concurrent corrections of one
 * usage cannot both commit (the second's revision is stale).
 *
 * A revert: 1. the correction becomes superseded with `revertedAt` (at its revision, StateChange);
 * 2. the corrected usage gets its status back and loses `supersededBy` (StateChange). Between the two
 * neither counts; a stop in between is finished by the next correct or revert in that chain.
 */

type Writer = Pick<UsageContext, 'repository' | 'events' | 'rollups' | 'subject'>;

/** Attempts of a write that other writes to the same usage keep overtaking (as updateProductUsage). */
const maxAttempts = 16;
const backOff = (attempt: number) => (attempt ? sleep(Math.random() * attempt) : undefined);
const busy = () => conflict('This usage is being changed by other writes at the same time; try again.');

async function read({ repository }: Writer, id: string): Promise<ProductUsageDocument | null> {
  const [usage] = await repository.findByIds([id]);
  return usage ?? null;
}

/** Step 3 of a correction, for the one that made it or for whoever finds it half-done. */
async function putInEffect(writer: Writer, pending: ProductUsageDocument): Promise<ProductUsageDocument | null> {
  const { repository, events, rollups } = writer;
  const tenant = repository.tenant!;
  return rollups.around(tenant, [pending], async () => {
    const staged = await events.stage(tenant, inEffect(pending), ['ProductUsageCreateEvent']);
    const correction = await repository.settlePendingCorrection(pending._id, 'corrected', staged.outbox);
    if (correction) await events.settle([correction], staged.events);
    return correction;
  });
}

/** Step 2 of a revert: `id` gets back the status it had before `correctionId` superseded it. */
async function restore(writer: Writer, id: string, correctionId: string): Promise<ProductUsageDocument> {
  const { repository, events, rollups } = writer;
  const tenant = repository.tenant!;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    await backOff(attempt);
    const usage = await read(writer, id);
    if (!usage) throw notFound('ProductUsage', id);
    const by = usage.supersededBy;
    if (!by || by.id !== correctionId) return withoutOutbox(usage);
    const now = new Date();
    const { supersededBy: _by, ...restored } = { ...withoutOutbox(usage), status: by.previousStatus, lastUpdate: now };
    const stored = await rollups.around(tenant, [usage], async () => {
      const staged = await events.stage(tenant, restored, ['ProductUsageStateChangeEvent']);
      const done = await repository.updateRevision(
        id,
        usage.rev,
        { $set: { status: by.previousStatus, lastUpdate: now }, $unset: { supersededBy: '' } },
        staged.outbox,
      );
      if (done) await events.settle([done], staged.events);
      return done;
    });
    if (stored) return withoutOutbox(stored);
  }
  throw busy();
}

/**
 * The usage `id` with a half-done step of its chain finished: a correction that superseded it but
 * was not put into effect, or a reverted correction it was not given back from.
 */
async function settled(writer: Writer, id: string): Promise<ProductUsageDocument | null> {
  const usage = await read(writer, id);
  if (!usage?.supersededBy) return usage;
  const by = await read(writer, usage.supersededBy.id);
  if (by?.correction?.corrects !== usage._id) return usage;
  if (by.correctionPending) await putInEffect(writer, by);
  else if (by.correction.revertedAt) await restore(writer, usage._id, by._id);
  else return usage;
  return read(writer, id);
}

/**
 * Pending corrections of `corrects` other than the one in effect: attempts stopped before their
 * commit. Removing them cannot race one still under way: `corrects` has just changed revision and
 * names another correction, so no such attempt can commit any more.
 */
async function removeLeftovers(writer: Writer, correction: ProductUsageDocument): Promise<void> {
  const { repository, rollups } = writer;
  const link = correction.correction!;
  const leftovers = await repository.pendingCorrectionsOf(link.original, link.corrects, correction._id);
  if (!leftovers.length) return;
  await rollups.around(repository.tenant!, leftovers, () => repository.removePendingCorrections(leftovers.map((usage) => usage._id)));
}

function refuseSuperseded(usage: ProductUsageDocument): void {
  if (usage.correctionPending) throw conflict(`Usage "${usage._id}" is a correction that never went into effect; it cannot be corrected.`);
  if (usage.status !== 'superseded') return;
  if (usage.supersededBy) {
    throw conflict(`Usage "${usage._id}" is superseded by the correction "${usage.supersededBy.id}"; correct that one instead.`);
  }
  throw conflict(`Usage "${usage._id}" is superseded; only a usage in effect can be corrected.`);
}

export async function correctUsage(writer: Writer, id: string, input: ProductUsageCorrectionInput, reason: string): Promise<ProductUsageDocument> {
  const { repository, events, rollups, subject } = writer;
  const tenant = repository.tenant!;
  const why = checkedReason(reason);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    await backOff(attempt);
    const before = await settled(writer, id);
    if (!before) throw notFound('ProductUsage', id);
    refuseSuperseded(before);
    const now = new Date();
    const pending = pendingCorrection(before, input, { id: randomUUID(), now, reason: why, subject });
    const supersededBy = { id: pending._id, previousStatus: before.status, at: now };
    const correction = await rollups.around(tenant, [before, pending], async () => {
      await repository.insert(pending);
      const superseded = { ...withoutOutbox(before), status: 'superseded' as const, supersededBy, lastUpdate: now };
      const staged = await events.stage(tenant, superseded, ['ProductUsageStateChangeEvent']);
      const committed = await repository.updateRevision(id, before.rev, { $set: { status: 'superseded', supersededBy, lastUpdate: now } }, staged.outbox);
      if (!committed) {
        await repository.removePendingCorrections([pending._id]);
        return null;
      }
      await events.settle([committed], staged.events);
      // Normally ours to do; null only if a request that found it half-done did it first.
      return (await putInEffect(writer, pending)) ?? (await read(writer, pending._id));
    });
    if (!correction) continue;
    await removeLeftovers(writer, correction);
    return withoutOutbox(correction);
  }
  throw busy();
}

export async function revertCorrection(writer: Writer, id: string, reason: string): Promise<ProductUsageDocument> {
  const { repository, events, rollups, subject } = writer;
  const tenant = repository.tenant!;
  const why = checkedReason(reason);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    await backOff(attempt);
    const correction = await read(writer, id);
    if (!correction) throw notFound('ProductUsage', id);
    const link = correction.correction;
    if (!link) throw conflict(`Usage "${id}" is not a correction; only a correction can be reverted.`);
    const corrected = await read(writer, link.corrects);
    const named = corrected?.supersededBy?.id === id;
    if (correction.correctionPending) {
      if (!named) throw conflict(`The correction "${id}" never went into effect; there is nothing to revert.`);
      await putInEffect(writer, correction);
      continue;
    }
    // A revert stopped before its second write is finished: the same answer as when it completed.
    if (link.revertedAt) {
      if (named) return restore(writer, link.corrects, id);
      throw conflict(`The correction "${id}" was reverted already.`);
    }
    if (correction.supersededBy) {
      throw conflict(`The correction "${id}" has been corrected since by "${correction.supersededBy.id}"; only the latest correction can be reverted.`);
    }
    if (correction.status === 'superseded' || !corrected || !named) {
      throw conflict(`The correction "${id}" is no longer in effect, or the usage it corrects is gone; it cannot be reverted.`);
    }
    const now = new Date();
    const revertedLink = { ...link, revertedAt: now, revertReason: why, revertedBy: subject };
    const reverted = await rollups.around(tenant, [correction, corrected], async () => {
      const after = { ...withoutOutbox(correction), status: 'superseded' as const, correction: revertedLink, lastUpdate: now };
      const staged = await events.stage(tenant, after, ['ProductUsageStateChangeEvent']);
      const done = await repository.updateRevision(
        id,
        correction.rev,
        { $set: { status: 'superseded', correction: revertedLink, lastUpdate: now } },
        staged.outbox,
      );
      if (done) await events.settle([done], staged.events);
      return done;
    });
    if (!reverted) continue;
    return restore(writer, link.corrects, id);
  }
  throw busy();
}
