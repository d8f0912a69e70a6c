import type { Metrics } from '../../platform/metrics.js';
import type { ExportJobRepository } from './exports/repository.js';
import type { DeliveryRepository, HubRepository } from './hubs/repository.js';
import type { UsageIngestor } from './ingestion/ingestor.js';
import type { IngestJobRepository } from './ingestion/job-repository.js';

export interface UsageMetricSources {
  deliveries: DeliveryRepository;
  hubs: HubRepository;
  ingestJobs: IngestJobRepository;
  exportJobs: ExportJobRepository;
  ingestor: UsageIngestor;
}

/**
 * The usage subgraph's own series (docs/observability.md): the webhook backlog and the hubs by status,
 * the ingestion and export jobs by state (read from the database when scraped, across tenants: a
 * few aggregates of small collections, each bounded to 2 s), and the ingested usages by outcome.
 */
export function registerUsageMetrics(metrics: Metrics, sources: UsageMetricSources): void {
  // Both backlog gauges from one read per scrape.
  let read: { at: number; backlog: ReturnType<DeliveryRepository['backlog']> } | undefined;
  const backlog = () => {
    if (!read || Date.now() - read.at > 1_000) read = { at: Date.now(), backlog: sources.deliveries.backlog() };
    return read.backlog;
  };
  metrics.gauge('usage_graph_webhook_backlog_deliveries', 'Webhook deliveries not yet made (every hub, every tenant).', async function () {
    const { pending } = await backlog();
    this.set(pending);
  });
  metrics.gauge('usage_graph_webhook_backlog_oldest_seconds', 'Age of the event of the oldest delivery not yet made (0 without any).', async function () {
    const { oldest } = await backlog();
    this.set(oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0);
  });
  const byState = async (
    gauge: { reset(): void; set(labels: Record<string, string>, value: number): void },
    counts: Promise<Map<string, number>>,
    states: readonly string[],
  ) => {
    const found = await counts;
    gauge.reset();
    for (const state of states) gauge.set({ state }, found.get(state) ?? 0);
  };
  metrics.gauge(
    'usage_graph_hubs',
    'Registered hubs, by state (a suspended hub keeps its events).',
    function () {
      return byState(this, sources.hubs.countBy('status'), ['active', 'suspended']);
    },
    ['state'],
  );
  metrics.gauge(
    'usage_graph_ingest_jobs',
    'Ingestion jobs, by state.',
    function () {
      return byState(this, sources.ingestJobs.countBy('status'), ['ACCEPTED', 'INPROGRESS', 'ERRORS', 'COMPLETED']);
    },
    ['state'],
  );
  metrics.gauge(
    'usage_graph_export_jobs',
    'Export jobs, by state.',
    function () {
      return byState(this, sources.exportJobs.countBy('status'), ['NotStarted', 'Running', 'Succeeded', 'Failed']);
    },
    ['state'],
  );
  metrics.gauge(
    'usage_graph_ingest_lag_seconds',
    'How long the oldest ingestion job not yet finished has waited since it was accepted (0 without any).',
    async function () {
      const oldest = await sources.ingestJobs.oldestPending();
      this.set(oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0);
    },
  );
  const ingested = metrics.counter('usage_graph_ingested_usages_total', 'Usages sent to ingestion, by outcome: stored, duplicate (a resend), rejected.', [
    'outcome',
  ]);
  for (const outcome of ['stored', 'duplicate', 'rejected']) ingested.inc({ outcome }, 0);
  sources.ingestor.observers.push((outcomes) => {
    for (const outcome of outcomes) ingested.inc({ outcome: outcome.kind });
  });
}
