import type { Filter, Sort } from 'mongodb';
import { allOf, anyOf, sortBy } from '../shared/query.js';
import type { PartyDocument, PartyRoleDocument } from './mappers.js';
import type { PartyFilter, PartyRoleFilter, PartySort, PartySortField } from './generated/resolvers.js';

export function partyFilter(filter: PartyFilter | null | undefined): Filter<PartyDocument> {
  if (!filter) return {};
  return allOf<PartyDocument>([anyOf('_id', filter.id), anyOf('kind', filter.kind), anyOf('name', filter.name), anyOf('status', filter.status)]);
}

export function partyRoleFilter(filter: PartyRoleFilter | null | undefined): Filter<PartyRoleDocument> {
  if (!filter) return {};
  return allOf<PartyRoleDocument>([
    anyOf('_id', filter.id),
    anyOf('name', filter.name),
    anyOf('status', filter.status),
    anyOf('engagedPartyId', filter.engagedPartyId),
  ]);
}

const sortPaths: Record<PartySortField, string> = { name: 'name', creationDate: 'creationDate', lastUpdate: 'lastUpdate', id: '_id' };

export const defaultPartySort: Sort = { name: 1, _id: 1 };
export const defaultPartyRoleSort: Sort = { name: 1, _id: 1 };

export function partySort(sort: readonly PartySort[] | null | undefined): Sort {
  return sortBy(sort, sortPaths, defaultPartySort);
}
