import type { RequestCaller } from '../shared/caller.js';
import type { IngestConfig } from '../shared/config.js';
import type { UsageAggregator } from './aggregates.js';
import type { UsageEvents } from './events.js';
import type { IngestBatchRepository, IngestErrorRepository, IngestJobRepository } from './ingest-job-repository.js';
import type { IngestJobRunner } from './ingest-job-runner.js';
import type { UsageIngestor } from './ingestor.js';
import type { HubOutbox } from './hub-outbox.js';
import type { ExportJobRepository } from './export-repository.js';
import type { ExportRunner } from './export-runner.js';
import { createUsageLoaders, type UsageLoaders } from './loaders.js';
import type { ProductUsageRepository } from './repository.js';

export interface UsageSettings {
  /** Base of hrefs (the REST facade's public address). */
  publicUrl: string;
  paging: { defaultSize: number; maxSize: number };
  /** Where export files are written. */
  exportDirectory: string;
  /** Webhook retries: first delay, longest delay, failures in a row before a hub is suspended. */
  hubRetry: { baseMs: number; maxMs: number; maxFailures: number };
  ingest: IngestConfig;
  /** Export jobs waiting or running at once (EXPORT_MAX_CONCURRENT). */
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
  aggregator: UsageAggregator;
}

/** The caller (tenant, subject, scopes) comes from the gateway's signed headers (shared/subgraph-server.ts). */
export interface UsageContext extends UsageServices, RequestCaller {
  loaders: UsageLoaders;
  settings: UsageSettings;
}

export function usageContextFactory(services: UsageServices, settings: UsageSettings): () => Omit<UsageContext, keyof RequestCaller> {
  return () => ({ ...services, settings, loaders: createUsageLoaders(services.repository, settings.paging) });
}
