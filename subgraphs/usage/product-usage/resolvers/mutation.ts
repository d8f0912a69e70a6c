import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BSON, type Document } from 'mongodb';
import { badUserInput, conflict, ErrorCode, notFound, UsageGraphError } from '../../../../platform/errors.js';
import { usageIdOf } from '../../ingestion/usages.js';
import { patchUpdate } from '../../../shared/query.js';
import { updateEventTypes } from '../events.js';
import { newUsageDocument, storedPatch, usageListFields, withoutOutbox, type ProductUsageDocument } from '../documents.js';
import type { UsageContext } from '../../context.js';
import type { MutationResolvers } from '../../generated/resolvers.js';

const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;
/** Attempts of an update or delete that other writes to the same usage keep overtaking. */
const maxAttempts = 16;
/** Before attempt n (from 1): a random pause of up to n ms, so writers that collided do not collide again in step. */
const backOff = (attempt: number) => (attempt ? sleep(Math.random() * attempt) : undefined);

/** Stores a new usage with its create event in one write (its rollups marked around it), then settles the event. */
async function create(
  { repository, events, rollups }: Pick<UsageContext, 'repository' | 'events' | 'rollups'>,
  doc: ProductUsageDocument,
): Promise<ProductUsageDocument> {
  const staged = await events.stage(repository.tenant!, doc, ['ProductUsageCreateEvent']);
  const created = await rollups.around(repository.tenant!, [doc], () => repository.insert(staged.outbox.length ? { ...doc, outbox: staged.outbox } : doc));
  await events.settle([created], staged.events);
  return created;
}

/** The stored usage `before` with a patch's $set and $unset applied, as the database will store it. */
function patched(before: ProductUsageDocument, $set: Document, $unset: Document): ProductUsageDocument {
  // A BSON round trip: the patch's input objects (null prototypes, undefined fields) compare as stored ones.
  const after = BSON.deserialize(BSON.serialize({ ...withoutOutbox(before), ...$set })) as ProductUsageDocument;
  for (const key of Object.keys($unset)) delete (after as Document)[key];
  return after;
}

export const Mutation: MutationResolvers = {
  createProductUsage: async (_root, { input, idempotencyKey }, context) => {
    const { repository } = context;
    if (idempotencyKey == null) return withoutOutbox(await create(context, newUsageDocument(input, randomUUID(), new Date())));
    if (!idempotencyKeyPattern.test(idempotencyKey)) throw badUserInput('idempotencyKey must be 1 to 255 visible ASCII characters.', 'idempotencyKey');
    // The id is derived from the tenant and the key, so the unique _id index stores a key once per
    // tenant across processes; the input's hash tells a resend from a different create. GraphQL
    // coerces input objects in the schema's field order, so the same input hashes the same.
    const id = usageIdOf(repository.tenant!, JSON.stringify(['create', idempotencyKey]));
    const hash = createHash('sha256').update(JSON.stringify(input)).digest('base64url');
    try {
      return withoutOutbox(await create(context, { ...newUsageDocument(input, id, new Date()), idempotency: { key: idempotencyKey, hash } }));
    } catch (error) {
      if (!(error instanceof UsageGraphError && error.code === ErrorCode.CONFLICT)) throw error;
      const [stored] = await repository.findByIds([id]);
      if (stored && stored.idempotency?.hash === hash) return withoutOutbox(stored);
      throw conflict('This idempotency key was used for another usage; a new usage needs a new key.');
    }
  },

  // The stored usage before the change decides which events the change makes, and they are written
  // with it: the update applies only to the revision it was computed from, and is computed again
  // when another write came first.
  updateProductUsage: async (_root, { id, patch }, { repository, events, rollups }) => {
    const { $set, $unset } = patchUpdate(storedPatch(patch), {
      required: ['type', 'status'],
      lists: usageListFields,
      now: new Date(),
    });
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      await backOff(attempt);
      const [before] = await repository.findByIds([id]);
      if (!before) throw notFound('ProductUsage', id);
      // A usage replaced by a correction, and a correction reverted or not yet in effect, are superseded
      // for as long as the chain says so (corrections/writer.ts): another status would count it twice.
      if ($set.status !== undefined && $set.status !== before.status && (before.supersededBy || before.correction?.revertedAt || before.correctionPending)) {
        throw conflict(`Usage "${id}" is superseded within a chain of corrections; its status follows the chain (revertProductUsageCorrection).`);
      }
      const after = patched(before, $set, $unset);
      const staged = await events.stage(repository.tenant!, after, updateEventTypes(before, after));
      const update = Object.keys($unset).length ? { $set, $unset } : { $set };
      // The usage's rollup buckets as it was and as it will be (a new usageDate moves it to another hour).
      const updated = await rollups.around(repository.tenant!, [before, after], () => repository.updateRevision(id, before.rev, update, staged.outbox));
      if (!updated) continue;
      await events.settle([updated], staged.events);
      return withoutOutbox(updated);
    }
    throw conflict('This usage is being changed by other writes at the same time; try again.');
  },

  deleteProductUsage: async (_root, { id }, { repository, events, rollups }) => {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      await backOff(attempt);
      const [before] = await repository.findByIds([id]);
      if (!before) throw notFound('ProductUsage', id);
      const staged = await events.stage(repository.tenant!, before, ['ProductUsageDeleteEvent']);
      // Events an earlier write left on the document are relayed before it goes, so it is marked too.
      const deleted = await rollups.around(repository.tenant!, [before], () =>
        repository.deleteRevision(id, before.rev, staged.outbox, Boolean(before.outbox?.length)),
      );
      if (!deleted) continue;
      await events.settle([deleted], staged.events);
      return withoutOutbox(deleted);
    }
    throw conflict('This usage is being changed by other writes at the same time; try again.');
  },
};
