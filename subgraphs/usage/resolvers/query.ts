import { page } from '../../shared/query.js';
import { usageFilter, usageSort } from '../filters.js';
import type { QueryResolvers } from '../generated/resolvers.js';

export const Query: QueryResolvers = {
  productUsage: (_root, { id }, { loaders }) => loaders.usageById.load(id),
  productUsages: (_root, args, { settings }) => ({
    kind: 'query',
    filter: usageFilter(args.filter),
    sort: usageSort(args.sort),
    page: page(args.offset, args.limit, settings.paging),
  }),
};
