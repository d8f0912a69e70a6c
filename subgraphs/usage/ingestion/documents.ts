import type { PageSource } from '../../shared/page-source.js';
import type { UsageAggregate, UsageIngestError, UsageIngestJob, UsageProcessStatus } from '../generated/resolvers.js';
import type { NormalizedUsage } from './usages.js';

/**
 * An ingestion job as stored: small, since it is rewritten at every claim and progress report. Its
 * batch lives in usageIngestBatches until the job finishes; the tenants, applications and units it
 * names are kept for listing, and `usagesSummary` counts the batch as ACCEPTED until then.
 */
export type IngestJobDocument = Omit<UsageIngestJob, '__typename' | 'id' | 'errors'> & {
  _id: string;
  day: string;
  /** The caller's tenant, stamped by the repository (not one of `tenants`, the senders' consumer tenants). */
  tenant?: string;
  tenants: string[];
  applications: string[];
  units: string[];
  processedCount: number;
  errorCount: number;
  runner?: string | null;
  heartbeat?: Date | null;
};

export type IngestJobPageSource = PageSource<IngestJobDocument>;

/**
 * One per-usage error; its _id is `<jobId>:<index>`, so a resumed job never records it twice. A job's
 * error is recorded with `eventPending` and `recordedAt`: its rejection event (rejections/events.ts) is
 * owed until the flag is cleared, so a runner taken over before publishing leaves it to the next run.
 */
export type IngestErrorDocument = Omit<UsageIngestError, '__typename'> & {
  _id: string;
  jobId: string;
  tenant?: string;
  /** The IngestionRule that refused the usage, when one did. */
  ruleId?: string | null;
  recordedAt?: Date;
  eventPending?: true;
};

export type IngestErrorPageSource = PageSource<IngestErrorDocument>;

/** A job's batch, as accepted; removed when the job finishes. */
export interface IngestBatchDocument {
  _id: string;
  usages: NormalizedUsage[];
  /** When it was stored: a batch whose job never got stored (its process died in between) is removed after a while. */
  storedAt?: Date;
}

/** What UsageAggregates resolves from. */
export interface AggregatesResult {
  kpi: { id: string };
  aggregationUntilDate: string;
  totalCount: number;
  items: UsageAggregate[];
}

/**
 * What ingestion adds to a stored usage: the sender's fields (those of NormalizedUsage but the
 * instant, which is the usage's usageDate, and the client key, which becomes `key`), and the day and
 * month keys aggregates group on.
 */
export type IngestFields = Omit<NormalizedUsage, 'datetime' | 'externalIdentifier'> & {
  key: string;
  hash: string;
  /** yyyy-mm-dd and yyyy-mm of usageDate in UTC, stored at write time so that aggregates match and group on them through an index. */
  day: string;
  month: string;
  processStatus: UsageProcessStatus;
  jobId: string | null;
};
