import type { ExportJobRepository } from './repository.js';

/** What the export resolvers read of one request's context: the caller's tenant's export jobs. */
export interface ExportContext {
  exportJobs: ExportJobRepository;
}

export const exportContext = (services: { exportJobs: ExportJobRepository }, tenant: string): ExportContext => ({
  exportJobs: services.exportJobs.forTenant(tenant),
});
