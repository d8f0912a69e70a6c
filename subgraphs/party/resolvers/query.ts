import { page } from '../../shared/query.js';
import { defaultPartyRoleSort, partyFilter, partyRoleFilter, partySort } from '../filters.js';
import type { QueryResolvers } from '../generated/resolvers.js';

export const Query: QueryResolvers = {
  party: (_root, { id }, { loaders }) => loaders.partyById.load(id),
  parties: (_root, args, { settings }) => ({
    kind: 'query',
    filter: partyFilter(args.filter),
    sort: partySort(args.sort),
    page: page(args.offset, args.limit, settings.paging),
  }),
  partyRole: (_root, { id }, { loaders }) => loaders.partyRoleById.load(id),
  partyRoles: (_root, args, { settings }) => ({
    kind: 'query',
    filter: partyRoleFilter(args.filter),
    sort: defaultPartyRoleSort,
    page: page(args.offset, args.limit, settings.paging),
  }),
};
