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

export interface PartyContext extends PartyRepositories {
  settings: PartySettings;
  loaders: ReturnType<typeof createLoaders>;
}

function createLoaders({ parties, partyRoles }: PartyRepositories) {
  return {
    partyById: byIdLoader((ids) => parties.findByIds(ids)),
    partyRoleById: byIdLoader((ids) => partyRoles.findByIds(ids)),
  };
}

export function partyContextFactory(repositories: PartyRepositories, settings: PartySettings): () => PartyContext {
  return () => ({ ...repositories, settings, loaders: createLoaders(repositories) });
}
