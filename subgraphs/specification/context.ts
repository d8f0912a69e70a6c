import type { RequestCaller } from '../../platform/caller.js';
import { byIdLoader } from '../shared/loaders.js';
import type { IngestionRuleRepository, KpiRepository } from './ingestion-repository.js';
import type { SpecificationRepository } from './repository.js';

export interface SpecificationSettings {
  paging: { defaultSize: number; maxSize: number };
}

/** The caller (tenant, subject, scopes) comes from the gateway's signed headers (shared/subgraph-server.ts). */
export interface SpecificationContext extends RequestCaller {
  repository: SpecificationRepository;
  rules: IngestionRuleRepository;
  kpis: KpiRepository;
  settings: SpecificationSettings;
  loaders: ReturnType<typeof createLoaders>;
}

/** Every entity the gateway references here is read through one of these: one query per entity type per request. */
function createLoaders({ repository, rules, kpis }: Pick<SpecificationContext, 'repository' | 'rules' | 'kpis'>) {
  return {
    specificationById: byIdLoader((ids) => repository.findByIds(ids)),
    ruleById: byIdLoader((ids) => rules.findByIds(ids)),
    kpiById: byIdLoader((ids) => kpis.findByIds(ids)),
  };
}

export function specificationContextFactory(
  repositories: { repository: SpecificationRepository; rules: IngestionRuleRepository; kpis: KpiRepository },
  settings: SpecificationSettings,
): (caller: RequestCaller) => Omit<SpecificationContext, keyof RequestCaller> {
  // The caller's tenant's view of every repository (shared/repository.ts): resolvers see nothing else.
  return ({ tenant }) => {
    const scoped = {
      repository: repositories.repository.forTenant(tenant),
      rules: repositories.rules.forTenant(tenant),
      kpis: repositories.kpis.forTenant(tenant),
    };
    return { ...scoped, settings, loaders: createLoaders(scoped) };
  };
}
