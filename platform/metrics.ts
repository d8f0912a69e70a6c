import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MongoClient } from 'mongodb';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Scope } from './caller.js';
import { refusal, sendRefusal, type Refusal } from './error-response.js';
import { ErrorCode } from './errors.js';
import { TokenError, type VerifyToken } from './token-verifier.js';

/**
 * Prometheus metrics of one process (prom-client, the Prometheus text format). Every series carries
 * `service` (gateway, usage, specification, party, rest); the process metrics (CPU, memory,
 * event-loop lag, handles, GC) come from prom-client's defaults. docs/observability.md lists the series.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'usage_graph_' });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[], collect?: (this: Counter<L>) => void | Promise<void>): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  /** A value read when scraped (`collect` sets it). */
  gauge<L extends string>(name: string, help: string, collect: (this: Gauge<L>) => void | Promise<void>, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry], collect });
  }

  /** Durations in seconds, with buckets from 1 ms to 30 s (a request, a database command). */
  histogram<L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, registers: [this.registry], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
  }
}

/** Seconds since `start` (a performance.now() reading). */
export const secondsSince = (start: number) => (performance.now() - start) / 1000;

/**
 * The duration of every database command the driver sends, by command and collection, and the
 * failures. The driver reports them as events once `monitorCommands` is on (connectMongo turns it
 * on); the labels are bounded: the commands and collections the code uses.
 */
export function instrumentDatabase(client: MongoClient, metrics: Metrics): void {
  const duration = metrics.histogram('usage_graph_db_command_duration_seconds', 'Database commands, by command and collection.', ['command', 'collection']);
  const failures = metrics.counter('usage_graph_db_command_failures_total', 'Database commands that failed, by command.', ['command']);
  const collections = new Map<number, string>();
  client.on('commandStarted', (event) => {
    const target = (event.command as Record<string, unknown>)[event.commandName];
    collections.set(event.requestId, typeof target === 'string' ? target : '');
  });
  client.on('commandSucceeded', (event) => {
    duration.observe({ command: event.commandName, collection: collections.get(event.requestId) ?? '' }, event.duration / 1000);
    collections.delete(event.requestId);
  });
  client.on('commandFailed', (event) => {
    duration.observe({ command: event.commandName, collection: collections.get(event.requestId) ?? '' }, event.duration / 1000);
    failures.inc({ command: event.commandName });
    collections.delete(event.requestId);
  });
}

/** Why a request may not read operator data (the metrics, the health page): null when it may. */
export async function operatorRefusal(verify: VerifyToken, authorization: string | undefined): Promise<Refusal | null> {
  try {
    const { caller } = await verify(authorization);
    if (caller.scopes.includes(Scope.METRICS) || caller.scopes.includes(Scope.ADMIN)) return null;
    return refusal(ErrorCode.FORBIDDEN, 'This needs a token with the metrics scope.');
  } catch (error) {
    if (error instanceof TokenError) return refusal(ErrorCode.UNAUTHENTICATED, error.message);
    throw error;
  }
}

/**
 * GET /metrics for a process's own HTTP server: the registry in the Prometheus text format, to a
 * bearer token with the `metrics` (or `admin`) scope only, since a usage graph's counters are tenant
 * data (how much each one sends). Returns false for any other request.
 */
export function metricsListener(metrics: Metrics, verify: VerifyToken): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  return async (request, response) => {
    if (new URL(request.url ?? '/', 'http://metrics').pathname !== '/metrics' || request.method !== 'GET') return false;
    const refused = await operatorRefusal(verify, request.headers.authorization);
    if (refused) {
      sendRefusal(response, refused);
      return true;
    }
    const body = await metrics.registry.metrics();
    response.writeHead(200, { 'content-type': metrics.registry.contentType });
    response.end(body);
    return true;
  };
}
