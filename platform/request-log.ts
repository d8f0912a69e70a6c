import type { Logger } from './logger.js';
import { traceIds } from './tracing.js';

/**
 * What one request's log line holds, on every service: where it went (a route template or an
 * operation name, never a raw path with ids in it), whose it was (the tenant), how it ended and how
 * long it took, and the trace it belongs to. Never bodies, variable values or tokens.
 */
export interface RequestLine {
  route?: string;
  method?: string;
  operation?: string;
  type?: string;
  tenant?: string;
  status?: number | string;
  durationMs: number;
}

/** One line per request at `info` (LOG_LEVEL=warn leaves them out), with the active trace's ids. */
export function logRequest(log: Logger, line: RequestLine): void {
  if (!log.requests || (log.level !== 'debug' && log.level !== 'info')) return;
  log.info('request', { ...line, durationMs: Math.round(line.durationMs * 10) / 10, ...traceIds() });
}
