import { randomUUID } from 'node:crypto';
import { badUserInput } from '../../../platform/errors.js';
import { page } from '../../shared/query.js';
import type { IngestJobDocument } from './documents.js';
import { dayKey, normalize } from './usages.js';
import type { MutationResolvers, QueryResolvers, Resolvers, UsageIngestInput } from '../generated/resolvers.js';
import { pageResolvers } from '../../shared/page-source.js';
import type { UsageContext } from '../context.js';

function checkSize(usages: readonly UsageIngestInput[], max: number, what: string): void {
  if (!usages.length) throw badUserInput(`${what} needs at least one usage.`, 'usages');
  if (usages.length > max) throw badUserInput(`${what} takes at most ${max} usages; got ${usages.length}. Nothing was stored.`, 'usages');
}

const today = () => dayKey(new Date());

export const ingestionQueries: Pick<QueryResolvers, 'usageIngestJob' | 'usageIngestJobs' | 'dailyUsageAggregates' | 'monthlyUsageAggregates'> = {
  usageIngestJob: async (_root, { id }, { ingestJobs }) => (await ingestJobs.findByIds([id]))[0] ?? null,
  usageIngestJobs: async (_root, { filter, offset, limit }, { ingestJobs, settings }) => {
    if (filter?.date != null && !/^\d{4}-\d{2}-\d{2}$/.test(filter.date)) throw badUserInput('date must be yyyy-mm-dd.', 'date');
    const query = {
      ...(filter?.date != null ? { day: filter.date } : {}),
      ...(filter?.tenant != null ? { tenants: filter.tenant } : {}),
      ...(filter?.application != null ? { applications: filter.application } : {}),
      ...(filter?.unit != null ? { units: filter.unit } : {}),
    };
    // Only the most recent jobs are listed (usage transparency: 1000), whatever the page asked for.
    const window = settings.ingest.jobListLimit;
    const { skip, limit: size } = page(offset, limit, settings.paging);
    const totalCount = Math.min(await ingestJobs.count(query), window);
    const items = skip >= window ? [] : await ingestJobs.find(query, { time: -1, _id: -1 }, { skip, limit: Math.min(size, window - skip) });
    return { kind: 'loaded', totalCount, items };
  },
  dailyUsageAggregates: (_root, { offset, limit, ...args }, { aggregator, settings }) => aggregator.daily(args, page(offset, limit, settings.paging), today()),
  monthlyUsageAggregates: (_root, { offset, limit, ...args }, { aggregator, settings }) =>
    aggregator.monthly(args, page(offset, limit, settings.paging), today()),
};

export const ingestionMutations: Pick<MutationResolvers, 'ingestProductUsages' | 'createUsageIngestJob'> = {
  ingestProductUsages: async (_root, { usages }, { ingestor, settings }) => {
    checkSize(usages, settings.ingest.maxBatch, 'ingestProductUsages');
    const batch = usages.map((u) => normalize(u, settings.ingest.defaultProvider));
    const outcomes = await ingestor.ingest(batch, { jobId: null, firstIndex: 0, now: new Date() });
    const count = (kind: string) => outcomes.filter((o) => o.kind === kind).length;
    return {
      storedCount: count('stored'),
      duplicateCount: count('duplicate'),
      rejectedCount: count('rejected'),
      usageIds: outcomes.map((o) => (o.kind === 'rejected' ? null : o.usageId)),
      errors: outcomes.flatMap((o) => (o.kind === 'rejected' ? [{ ...o.error, _id: String(o.error.index), jobId: '' }] : [])),
    };
  },
  createUsageIngestJob: async (_root, { usages }, { ingestJobs, ingestBatches, ingestRunner, settings }) => {
    checkSize(usages, settings.ingest.maxJobUsages, 'createUsageIngestJob');
    const batch = usages.map((u) => normalize(u, settings.ingest.defaultProvider));
    const time = new Date();
    const distinct = (values: string[]) => [...new Set(values)];
    const accepted = new Map<string, { application: string; unit: string; processStatus: 'ACCEPTED'; usagesCount: number }>();
    for (const u of batch) {
      const key = JSON.stringify([u.application, u.unit]);
      const entry = accepted.get(key) ?? { application: u.application, unit: u.unit, processStatus: 'ACCEPTED' as const, usagesCount: 0 };
      entry.usagesCount += 1;
      accepted.set(key, entry);
    }
    const job: IngestJobDocument = {
      _id: randomUUID(),
      time,
      day: dayKey(time),
      status: 'ACCEPTED',
      usagesCount: batch.length,
      usagesSummary: [...accepted.values()],
      tenants: distinct(batch.map((u) => u.tenant)),
      applications: distinct(batch.map((u) => u.application)),
      units: distinct(batch.map((u) => u.unit)),
      processedCount: 0,
      errorCount: 0,
    };
    // The batch first: a job is never seen without it.
    await ingestBatches.insert({ _id: job._id, usages: batch, storedAt: time });
    await ingestJobs.insert(job);
    ingestRunner.start(job._id, batch);
    return job;
  },
};

export const ingestionTypes: Pick<Resolvers, 'UsageIngestJob' | 'UsageIngestError' | 'UsageIngestErrorPage' | 'UsageAggregates' | 'Kpi'> = {
  UsageIngestJob: {
    __resolveReference: (reference, { loaders }) => loaders.ingestJobById.load(reference.id),
    id: (job) => job._id,
    errors: (job, args, { settings }) => ({
      kind: 'query',
      filter: { jobId: job._id, ...(args.validationOnly ? { errorType: 'ValidationError' } : {}) },
      sort: { jobId: 1, index: 1 },
      page: page(args.offset, args.limit, settings.paging),
    }),
  },
  UsageIngestError: {},
  UsageIngestErrorPage: {
    totalCount: (source, _args, { ingestErrors }) => (source.kind === 'loaded' ? source.totalCount : ingestErrors.count(source.filter)),
    items: (source, _args, { ingestErrors }) => (source.kind === 'loaded' ? source.items : ingestErrors.find(source.filter, source.sort, source.page)),
  },
  UsageAggregates: {},
  Kpi: {},
};

/** This feature's part of the usage subgraph's resolvers (resolvers.ts combines the features). */
export const ingestionResolvers: Resolvers = {
  Query: ingestionQueries,
  Mutation: ingestionMutations,
  ...ingestionTypes,
  UsageIngestJobPage: pageResolvers((context: UsageContext) => context.ingestJobs),
};
