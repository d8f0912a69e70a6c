import type { PageSource } from '../shared/page-source.js';
import { badUserInput } from '../../platform/errors.js';
import type { Party, PartyInput, PartyRole, PartyRoleInput } from './generated/resolvers.js';

/** MongoDB document types of the party subgraph, derived from the generated GraphQL types. */
export type PartyDocument = Omit<Party, '__typename' | 'id' | 'href'> & { _id: string };
export type PartyRoleDocument = Omit<PartyRole, '__typename' | 'id' | 'href' | 'engagedParty'> & {
  _id: string;
  engagedPartyId?: string | null;
};
export type PartyPageSource = PageSource<PartyDocument>;
export type PartyRolePageSource = PageSource<PartyRoleDocument>;

const compact = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v != null)) as T;

/** An individual's display name is given + family name unless one is given outright. */
export function displayName(party: Pick<PartyDocument, 'kind' | 'name' | 'givenName' | 'familyName'>): string | null {
  if (party.name) return party.name;
  if (party.kind === 'Individual') return [party.givenName, party.familyName].filter(Boolean).join(' ') || null;
  return null;
}

export function newPartyDocument(input: PartyInput, id: string, now: Date): PartyDocument {
  const doc = compact({ ...input, _id: id, creationDate: now, lastUpdate: now }) as PartyDocument;
  doc.name = displayName(doc);
  if (!doc.name) {
    throw badUserInput(input.kind === 'Organization' ? 'An Organization needs a name.' : 'An Individual needs a name, a givenName or a familyName.', 'name');
  }
  return doc;
}

export function newPartyRoleDocument(input: PartyRoleInput, id: string, now: Date): PartyRoleDocument {
  return compact({ ...input, _id: id, creationDate: now, lastUpdate: now });
}

export const partyListFields = ['contactMedium'] as const;
