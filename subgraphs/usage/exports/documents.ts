import type { PageSource } from '../../shared/page-source.js';
import type { ExportJob } from '../generated/resolvers.js';

/**
 * An export job as stored. The filter and sort are the MongoDB query built when the job was
 * created, kept as extended JSON (EJSON) text: operator keys and dates survive a restart, and no
 * stored field name starts with "$".
 */
export type ExportJobDocument = Omit<ExportJob, '__typename' | 'id'> & {
  _id: string;
  filter: string;
  sort: string;
  /** The process running it, and when it last reported progress (a stale one is taken over). */
  runner?: string | null;
  heartbeat?: Date | null;
  /** Stamped by the repository; the runner exports only this tenant's usages. */
  tenant?: string;
};

export type ExportJobPageSource = PageSource<ExportJobDocument>;
