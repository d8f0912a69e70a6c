import { Scope, type RequestCaller } from '../../platform/caller.js';
import type { IngestConfig } from '../../platform/config.js';
import { UsageAggregator } from './ingestion/aggregates.js';
import type { IngestionCatalogue } from './ingestion/catalogue.js';
import type { DeliveryRepository, HubRepository } from './hubs/repository.js';
import type { UsageEvents } from './product-usage/events.js';
import type { IngestBatchRepository, IngestErrorRepository, IngestJobRepository } from './ingestion/job-repository.js';
import type { IngestJobRunner } from './ingestion/job-runner.js';
import type { UsageIngestor } from './ingestion/ingestor.js';
import type { HubOutbox } from './hubs/outbox.js';
import type { ExportJobRepository } from './exports/repository.js';
import type { ExportRunner } from './exports/runner.js';
import { createUsageLoaders, type UsageLoaders } from './loaders.js';
import type { ProductUsageDocument } from './product-usage/documents.js';
import type { ProductUsageRepository } from './product-usage/repository.js';
import type { RollupMaintainer } from './rollups/maintainer.js';
import type { RollupReader } from './rollups/reader.js';
import type { CursorPageReader } from '../shared/page-source.js';

export interface UsageSettings {
  /** Base of hrefs (the REST facade's public address). */
  publicUrl: string;
  paging: { defaultSize: number; maxSize: number };
  /** Where export files are written. */
  exportDirectory: string;
  /** Webhook retries: first delay, longest delay, failures in a row before a hub is suspended. */
  hubRetry: { baseMs: number; maxMs: number; maxFailures: number };
  ingest: IngestConfig;
  /** Export jobs of one tenant waiting or running at once (EXPORT_MAX_CONCURRENT). */
  exportMaxConcurrent: number;
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
}

/**
 * The caller (tenant, subject, scopes) comes from the gateway's signed headers (shared/subgraph-server.ts).
 * Every repository here is the caller's tenant's view (shared/repository.ts); `outbox`, `exports` and
 * `ingestRunner` are the process's background workers, which act with the tenant stored on each job or hub.
 */
export interface UsageContext extends Omit<UsageServices, 'catalogue' | 'rollupReader'>, RequestCaller {
  /** The tenant's usage lists: pages from the repository, the unfiltered count from the rollups. */
  usageList: CursorPageReader<ProductUsageDocument>;
  hubs: HubRepository;
  deliveries: DeliveryRepository;
  aggregator: UsageAggregator;
  loaders: UsageLoaders;
  settings: UsageSettings;
}

export function usageContextFactory(services: UsageServices, settings: UsageSettings): (caller: RequestCaller) => Omit<UsageContext, keyof RequestCaller> {
  const { catalogue, rollupReader, ...shared } = services;
  return ({ tenant, scopes }) => {
    const repository = services.repository.forTenant(tenant);
    const [exportJobs, hubs, ingestJobs] = [
      services.exportJobs.forTenant(tenant),
      services.outbox.hubs.forTenant(tenant),
      services.ingestJobs.forTenant(tenant),
    ];
    // The webhook worker's service scope reads every tenant's hubs (resolvers/hub.ts, hubsOf).
    const deliveryHubs = scopes.includes(Scope.HUB_DELIVER) ? services.outbox.hubs : hubs;
    return {
      ...shared,
      repository,
      exportJobs,
      hubs,
      deliveries: services.outbox.deliveries.forTenant(tenant),
      ingestor: services.ingestor.forTenant(tenant),
      ingestJobs,
      ingestBatches: services.ingestBatches.forTenant(tenant),
      ingestErrors: services.ingestErrors.forTenant(tenant),
      usageList: {
        find: (filter, sort, page) => repository.find(filter, sort, page),
        findPage: (filter, sort, page) => repository.findPage(filter, sort, page),
        count: (filter) => (Object.keys(filter).length ? repository.count(filter) : rollupReader.countAll(repository)),
      },
      aggregator: new UsageAggregator(repository, rollupReader, catalogue.forTenant(tenant)),
      settings,
      loaders: createUsageLoaders({ repository, hubs, deliveryHubs, exportJobs, ingestJobs }, settings.paging),
    };
  };
}
