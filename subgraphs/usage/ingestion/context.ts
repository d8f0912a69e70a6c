import type { ProductUsageRepository } from '../product-usage/repository.js';
import type { RollupReader } from '../rollups/reader.js';
import { UsageAggregator } from './aggregates.js';
import type { IngestionCatalogue } from './catalogue.js';
import type { UsageIngestor } from './ingestor.js';
import type { IngestBatchRepository, IngestErrorRepository, IngestJobRepository } from './job-repository.js';

/** What the ingestion resolvers read of one request's context: the caller's tenant's views. */
export interface IngestionContext {
  ingestor: UsageIngestor;
  ingestJobs: IngestJobRepository;
  ingestBatches: IngestBatchRepository;
  ingestErrors: IngestErrorRepository;
  aggregator: UsageAggregator;
}

export interface IngestionServices {
  ingestor: UsageIngestor;
  ingestJobs: IngestJobRepository;
  ingestBatches: IngestBatchRepository;
  ingestErrors: IngestErrorRepository;
  catalogue: IngestionCatalogue;
  rollupReader: RollupReader;
}

/** `usages` is the tenant's view of the usages (the product-usage feature's). */
export function ingestionContext(services: IngestionServices, tenant: string, usages: ProductUsageRepository): IngestionContext {
  return {
    ingestor: services.ingestor.forTenant(tenant),
    ingestJobs: services.ingestJobs.forTenant(tenant),
    ingestBatches: services.ingestBatches.forTenant(tenant),
    ingestErrors: services.ingestErrors.forTenant(tenant),
    aggregator: new UsageAggregator(usages, services.rollupReader, services.catalogue.forTenant(tenant)),
  };
}
