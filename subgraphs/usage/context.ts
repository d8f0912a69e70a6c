import type { RequestCaller } from '../../platform/caller.js';
import type { IngestConfig } from '../../platform/config.js';
import type { IngestionCatalogue } from './ingestion/catalogue.js';
import type { UsageEvents } from './product-usage/events.js';
import type { IngestBatchRepository, IngestErrorRepository, IngestJobRepository } from './ingestion/job-repository.js';
import type { IngestJobRunner } from './ingestion/job-runner.js';
import type { UsageIngestor } from './ingestion/ingestor.js';
import type { HubOutbox } from './hubs/outbox.js';
import type { ExportJobRepository } from './exports/repository.js';
import type { ExportRunner } from './exports/runner.js';
import { createUsageLoaders, type UsageLoaders } from './loaders.js';
import { exportContext, type ExportContext } from './exports/context.js';
import { hubContext, type HubContext } from './hubs/context.js';
import { ingestionContext, type IngestionContext } from './ingestion/context.js';
import { meterContext, type MeterContext, type MeterRollups } from './meters/context.js';
import { productUsageContext, type ProductUsageContext } from './product-usage/context.js';
import type { ProductUsageRepository } from './product-usage/repository.js';
import type { RollupMaintainer } from './rollups/maintainer.js';
import type { RollupReader } from './rollups/reader.js';

export interface UsageSettings {
  paging: { defaultSize: number; maxSize: number };
  /** Where export files are written. */
  exportDirectory: string;
  /** Webhook retries: first delay, longest delay, failures in a row before a hub is suspended. */
  hubRetry: { baseMs: number; maxMs: number; maxFailures: number };
  ingest: IngestConfig;
  /** Export jobs of one tenant waiting or running at once (EXPORT_MAX_CONCURRENT). */
  exportMaxConcurrent: number;
  /** A running export silent this long is taken over (EXPORT_JOB_STALE_MS). */
  exportStaleMs: number;
  /** Whether hub callbacks may name loopback, private or link-local addresses. */
  hubPrivateCallbacks: 'allow' | 'deny';
}

export interface UsageServices {
  repository: ProductUsageRepository;
  events: UsageEvents;
  outbox: HubOutbox;
  exportJobs: ExportJobRepository;
  exports: ExportRunner;
  ingestor: UsageIngestor;
  ingestJobs: IngestJobRepository;
  ingestBatches: IngestBatchRepository;
  ingestErrors: IngestErrorRepository;
  ingestRunner: IngestJobRunner;
  catalogue: IngestionCatalogue;
  rollups: RollupMaintainer;
  rollupReader: RollupReader;
  /** What meters read from the rollups (meters/rollup-source.ts). */
  meterRollups: MeterRollups;
}

/**
 * The caller (tenant, subject, scopes) comes from the gateway's signed headers (shared/subgraph-server.ts).
 * Each feature makes its part of a request's context: the caller's tenant's views of its
 * repositories (shared/repository.ts). `outbox`, `exports`, `ingestRunner` and `rollups` are the
 * process's background workers, which act with the tenant stored on each job, hub or mark.
 */
export interface UsageContext
  extends
    Omit<UsageServices, 'catalogue' | 'rollupReader' | 'meterRollups' | keyof ProductUsageContext | keyof ExportContext | keyof IngestionContext>,
    ProductUsageContext,
    ExportContext,
    HubContext,
    IngestionContext,
    MeterContext,
    RequestCaller {
  loaders: UsageLoaders;
  settings: UsageSettings;
}

export function usageContextFactory(services: UsageServices, settings: UsageSettings): (caller: RequestCaller) => Omit<UsageContext, keyof RequestCaller> {
  const { catalogue: _catalogue, rollupReader: _rollupReader, meterRollups: _meterRollups, ...shared } = services;
  return ({ tenant, scopes }) => {
    const usages = productUsageContext(services, tenant);
    const exports = exportContext(services, tenant);
    const hubs = hubContext(services, tenant, scopes);
    return {
      ...shared,
      ...usages,
      ...exports,
      ...hubs,
      ...ingestionContext(services, tenant, usages.repository),
      ...meterContext(usages.repository, services.meterRollups),
      settings,
      loaders: createUsageLoaders(
        {
          repository: usages.repository,
          hubs: hubs.hubs,
          deliveryHubs: hubs.deliveryHubs,
          exportJobs: exports.exportJobs,
          ingestJobs: services.ingestJobs.forTenant(tenant),
        },
        settings.paging,
      ),
    };
  };
}
