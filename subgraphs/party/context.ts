import type { RequestCaller } from '../shared/caller.js';
import { byIdLoader } from '../shared/loaders.js';
import type { PartyRepository, PartyRoleRepository } from './repository.js';

export interface PartySettings {
  publicUrl: string;
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

export function partyContextFactory(repositories: PartyRepositories, settings: PartySettings): () => Omit<PartyContext, keyof RequestCaller> {
  return () => ({ ...repositories, settings, loaders: createLoaders(repositories) });
}
