import { byIdLoader } from '../shared/loaders.js';
import type { SpecificationRepository } from './repository.js';

export interface SpecificationSettings {
  publicUrl: string;
  paging: { defaultSize: number; maxSize: number };
}

export interface SpecificationContext {
  repository: SpecificationRepository;
  settings: SpecificationSettings;
  loaders: ReturnType<typeof createLoaders>;
}

function createLoaders(repository: SpecificationRepository) {
  return { specificationById: byIdLoader((ids) => repository.findByIds(ids)) };
}

export function specificationContextFactory(repository: SpecificationRepository, settings: SpecificationSettings): () => SpecificationContext {
  return () => ({ repository, settings, loaders: createLoaders(repository) });
}
