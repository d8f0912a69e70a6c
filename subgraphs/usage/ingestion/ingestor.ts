import { pairKey, type IngestionCatalogue } from './catalogue.js';
import type { UsageEvent, UsageEvents } from '../product-usage/events.js';
import type { UsageProcessStatus } from '../generated/resolvers.js';
import type { IngestErrorDocument } from './documents.js';
import {
  contentHash,
  echo,
  idempotencyKey,
  ingestedUsageDocument,
  shapeViolation,
  usageIdOf,
  violation,
  type IngestLimits,
  type NormalizedUsage,
} from './usages.js';
import type { ProductUsageDocument } from '../product-usage/documents.js';
import type { ProductUsageRepository } from '../product-usage/repository.js';
import type { RollupMaintainer } from '../rollups/maintainer.js';

/** What became of one usage of a batch. */
export type IngestOutcome =
  | { kind: 'stored' | 'duplicate'; usageId: string; processStatus: UsageProcessStatus; application: string; unit: string }
  | { kind: 'rejected'; error: Omit<IngestErrorDocument, '_id' | 'jobId'>; application: string; unit: string };

/**
 * Stores a batch of usages: checks each against its rule, derives its id from its idempotency key,
 * inserts the valid ones in one unordered command (the unique _id is the claim, so there is no key
 * taken before a write that might fail), sorts out resends from conflicts, and publishes a
 * ProductUsageCreateEvent for each usage stored now. The synchronous mutation and the job runner
 * both call it.
 */
export class UsageIngestor {
  constructor(
    private readonly usages: ProductUsageRepository,
    private readonly catalogue: IngestionCatalogue,
    private readonly events: UsageEvents,
    private readonly rollups: RollupMaintainer,
    private readonly limits: IngestLimits,
    /** Told what became of each batch (the metrics count them); shared by the tenant views. */
    readonly observers: ((outcomes: readonly IngestOutcome[]) => void)[] = [],
  ) {}

  /** This ingestor for one tenant: its usages, rules and specifications (docs/security.md, "Tenant isolation"). */
  forTenant(tenant: string): UsageIngestor {
    return new UsageIngestor(this.usages.forTenant(tenant), this.catalogue.forTenant(tenant), this.events, this.rollups, this.limits, this.observers);
  }

  async ingest(batch: readonly NormalizedUsage[], options: { jobId: string | null; firstIndex: number; now: Date }): Promise<IngestOutcome[]> {
    const { now } = options;
    const tenant: string = this.usages.tenant ?? unscoped();
    const outcomes: (IngestOutcome | undefined)[] = new Array<IngestOutcome | undefined>(batch.length);
    const reject = (
      i: number,
      code: string,
      rule: string,
      message: string,
      parameters: { name: string; value: string }[],
      errorType: 'ValidationError' | 'OtherError',
      ruleId: string | null = null,
    ) => {
      const usage = batch[i]!;
      outcomes[i] = {
        kind: 'rejected',
        application: usage.application,
        unit: usage.unit,
        error: { index: options.firstIndex + i, code, rule, message, messageParameters: parameters, errorType, usage: echo(usage), ruleId },
      };
    };

    const rules = await this.catalogue.rulesFor(batch);
    const candidates: { i: number; doc: ProductUsageDocument }[] = [];
    const valid: number[] = [];
    for (let i = 0; i < batch.length; i++) {
      const usage = batch[i]!;
      const broken = shapeViolation(usage) ?? violation(usage, rules.get(pairKey(usage.application, usage.unit)), this.limits, now);
      if (broken) reject(i, 'BAD_USER_INPUT', broken.rule, broken.message, broken.parameters, 'ValidationError', broken.ruleId);
      else valid.push(i);
    }
    const specifications = await this.catalogue.specificationsFor(
      valid.map((i) => batch[i]!),
      now,
    );

    // The same key twice in one batch: the first is stored, a later one is a resend or a conflict.
    const firstByKey = new Map<string, { i: number; hash: string }>();
    const sameBatch: { i: number; first: number; key: string }[] = [];
    for (const i of valid) {
      const usage = batch[i]!;
      const key = idempotencyKey(usage);
      const hash = contentHash(usage);
      const first = firstByKey.get(key);
      if (first) {
        if (first.hash === hash) sameBatch.push({ i, first: first.i, key });
        else conflict(i, key);
        continue;
      }
      firstByKey.set(key, { i, hash });
      const processStatus = rules.has(pairKey(usage.application, usage.unit)) ? 'VERIFIED' : 'NOVERIFICATION';
      const specificationId = specifications.get(pairKey(usage.application, usage.unit))!;
      candidates.push({ i, doc: ingestedUsageDocument(usage, { tenant, key, hash, specificationId, jobId: options.jobId }, processStatus, now) });
    }
    function conflict(i: number, key: string) {
      reject(
        i,
        'CONFLICT',
        'idempotency',
        `A usage with the same key and a different content was stored before (id ${usageIdOf(tenant, key)}).`,
        [{ name: 'usageId', value: usageIdOf(tenant, key) }],
        'OtherError',
      );
    }

    // Each usage carries its create event into the insert (hub-outbox.ts): stored together or not at all.
    const staged = await Promise.all(candidates.map((c) => this.events.stage(tenant, c.doc, ['ProductUsageCreateEvent'])));
    candidates.forEach((c, n) => {
      if (staged[n]!.outbox.length) c.doc = { ...c.doc, outbox: staged[n]!.outbox };
    });
    const docs = candidates.map((c) => c.doc);
    const duplicates = await this.rollups.around(tenant, docs, () => this.usages.insertNew(docs));
    // Only on a resend (no duplicates: no read).
    const stored = await this.usages.findByIds(candidates.filter((_, n) => duplicates.has(n)).map((c) => c.doc._id));
    const storedById = new Map(stored.map((doc) => [doc._id, doc]));
    const created: ProductUsageDocument[] = [];
    const createEvents: UsageEvent[] = [];
    candidates.forEach(({ i, doc }, n) => {
      const base = { usageId: doc._id, application: doc.ingest!.application, unit: doc.ingest!.unit };
      if (!duplicates.has(n)) {
        created.push(doc);
        createEvents.push(...staged[n]!.events);
        outcomes[i] = { kind: 'stored', processStatus: doc.ingest!.processStatus, ...base };
        return;
      }
      const before = storedById.get(doc._id);
      // Deleted since: the key was used, and the client's resend is acknowledged rather than revived.
      if (!before || before.ingest?.hash === doc.ingest!.hash) {
        outcomes[i] = { kind: 'duplicate', processStatus: before?.ingest?.processStatus ?? doc.ingest!.processStatus, ...base };
      } else conflict(i, doc.ingest!.key);
    });
    for (const { i, first, key } of sameBatch) {
      const earlier = outcomes[first]!;
      if (earlier.kind === 'rejected') conflict(i, key);
      else outcomes[i] = { ...earlier, kind: 'duplicate' };
    }
    await this.events.settle(created, createEvents);
    for (const observe of this.observers) observe(outcomes as IngestOutcome[]);
    return outcomes as IngestOutcome[];
  }
}

function unscoped(): never {
  throw new Error('ingest needs a tenant: call forTenant first');
}
