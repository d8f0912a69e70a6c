import { createUsageLoaders, type UsageLoaders } from './loaders.js';
import type { ProductUsageRepository } from './repository.js';

export interface UsageSettings {
  /** Base of hrefs (the REST facade's public address). */
  publicUrl: string;
  paging: { defaultSize: number; maxSize: number };
}

export interface UsageContext {
  repository: ProductUsageRepository;
  loaders: UsageLoaders;
  settings: UsageSettings;
}

export function usageContextFactory(repository: ProductUsageRepository, settings: UsageSettings): () => UsageContext {
  return () => ({ repository, settings, loaders: createUsageLoaders(repository, settings.paging) });
}
