import { randomUUID } from 'node:crypto';
import { badUserInput, notFound, tooManyRequests } from '../../../platform/errors.js';
import { page } from '../../shared/query.js';
import { ExportRunner } from './runner.js';
import { usageFilter, usageSort } from '../product-usage/filters.js';
import type { ExportJobDocument } from './documents.js';
import type { ExportJobResolvers, MutationResolvers, QueryResolvers, Resolvers } from '../generated/resolvers.js';
import { pageResolvers } from '../../shared/page-source.js';
import type { UsageContext } from '../context.js';

const contentTypes = ['application/json', 'text/csv'];
const exportablePaths = ['/productUsage'];

export const exportJobQueries: Pick<QueryResolvers, 'exportJob' | 'exportJobs'> = {
  exportJob: async (_root, { id }, { exportJobs }) => (await exportJobs.findByIds([id]))[0] ?? null,
  exportJobs: (_root, args, { settings }) => ({
    kind: 'query',
    filter: {},
    sort: { creationDate: -1, _id: -1 },
    page: page(args.offset, args.limit, settings.paging),
  }),
};

export const exportJobMutations: Pick<MutationResolvers, 'createExportJob' | 'deleteExportJob'> = {
  createExportJob: async (_root, { input }, { exportJobs, exports, events, settings }) => {
    // Each job streams the whole collection once: a cap keeps many at once from starving everything else.
    // Checked before the insert, so two requests at the same instant may both pass: the cap bounds, it does not count exactly.
    // Per tenant (exportJobs is the caller's tenant's view): one tenant's exports never hold back another's.
    const unfinished = await exportJobs.unfinishedCount();
    if (unfinished >= settings.exportMaxConcurrent) {
      throw tooManyRequests(
        `${unfinished} export jobs are waiting or running; at most ${settings.exportMaxConcurrent} at once. Try again when one has finished.`,
        10,
      );
    }
    const contentType = input.contentType ?? 'application/json';
    if (!contentTypes.includes(contentType)) throw badUserInput(`contentType must be one of ${contentTypes.join(', ')}.`, 'contentType');
    const path = input.path ?? '/productUsage';
    if (!exportablePaths.includes(path)) throw badUserInput(`path must be one of ${exportablePaths.join(', ')}.`, 'path');
    // The filter is checked and translated now, so a bad one fails the request, not the job.
    const query = ExportRunner.encodeQuery(usageFilter(input.filter), usageSort(input.sort));
    const job: ExportJobDocument = {
      _id: randomUUID(),
      creationDate: new Date(),
      contentType,
      path,
      query: input.query ?? null,
      status: 'NotStarted',
      exportedCount: 0,
      ...query,
    };
    const stored = await exportJobs.insert(job);
    // Queued before the runner can claim the job, so hubs see Create before the first StateChange.
    await events.publishExportJob('ExportJobCreateEvent', stored);
    exports.start(stored._id);
    return stored;
  },
  deleteExportJob: async (_root, { id }, { exportJobs, exports, events }) => {
    const deleted = await exportJobs.delete(id);
    if (!deleted) throw notFound('ExportJob', id);
    await exports.removeFile(id);
    await events.publishExportJob('ExportJobDeleteEvent', deleted);
    return deleted;
  },
};

export const ExportJob: ExportJobResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.exportJobById.load(reference.id),
  id: (job) => job._id,
};

/** This feature's part of the usage subgraph's resolvers (resolvers.ts combines the features). */
export const exportResolvers: Resolvers = {
  Query: exportJobQueries,
  Mutation: exportJobMutations,
  ExportJob,
  ExportJobPage: pageResolvers((context: UsageContext) => context.exportJobs),
};
