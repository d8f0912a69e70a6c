import { cursorPage } from '../../../shared/query.js';
import { usageFilter, usageSort } from '../filters.js';
import type { QueryResolvers } from '../../generated/resolvers.js';

export const Query: QueryResolvers = {
  productUsage: (_root, { id }, { loaders }) => loaders.usageById.load(id),
  productUsages: (_root, args, { settings }) => {
    const sort = usageSort(args.sort);
    return { kind: 'query', filter: usageFilter(args.filter), sort, page: cursorPage(args, sort, settings.paging) };
  },
};
