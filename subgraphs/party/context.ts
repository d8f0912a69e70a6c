import type { RequestCaller } from '../../platform/caller.js';
import { byIdLoader } from '../shared/loaders.js';
import type { PartyRepository, PartyRoleRepository } from './repository.js';

export interface PartySettings {
  paging: { defaultSize: number; maxSize: number };
}

export interface PartyRepositories {
  parties: PartyRepository;
  partyRoles: PartyRoleRepository;
}

/** The caller (tenant, subject, scopes) comes from the gateway's signed headers (shared/subgraph-server.ts). */
export interface PartyContext extends PartyRepositories, RequestCaller {
  settings: PartySettings;
  loaders: ReturnType<typeof createLoaders>;
}

function createLoaders({ parties, partyRoles }: PartyRepositories) {
  return {
    partyById: byIdLoader((ids) => parties.findByIds(ids)),
    partyRoleById: byIdLoader((ids) => partyRoles.findByIds(ids)),
  };
}

export function partyContextFactory(
  repositories: PartyRepositories,
  settings: PartySettings,
): (caller: RequestCaller) => Omit<PartyContext, keyof RequestCaller> {
  // The caller's tenant's view of every repository (shared/repository.ts): resolvers see nothing else.
  return ({ tenant }) => {
    const scoped = { parties: repositories.parties.forTenant(tenant), partyRoles: repositories.partyRoles.forTenant(tenant) };
    return { ...scoped, settings, loaders: createLoaders(scoped) };
  };
}
