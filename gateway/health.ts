import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendRefusal } from '../platform/error-response.js';
import { operatorRefusal } from '../platform/metrics.js';
import type { VerifyToken } from '../platform/token-verifier.js';

/** The subgraphs the supergraph routes to (its `@join__graph` directives). */
export function subgraphsOf(supergraphSdl: string): { name: string; url: string }[] {
  return [...supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)].map((m) => ({ name: m[1]!, url: m[2]! }));
}

/** A gauge's value in a Prometheus text exposition, labels matched in any order; undefined when absent. */
export function gaugeValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

export interface ServiceHealth {
  name: string;
  ready: boolean;
  detail?: string;
}

export interface Health {
  services: ServiceHealth[];
  webhooks?: { backlog: number; oldestSeconds: number; suspendedHubs: number };
  ingestion?: { lagSeconds: number; accepted: number; inProgress: number };
}

const timeoutMs = 2_000;

/**
 * GET /health for the console's health page: each service's readiness (the gateway's own, each
 * subgraph's /readyz) and the webhook backlog and ingestion lag read from the usage subgraph's
 * /metrics, the same series an operator's Prometheus scrapes. Operator data: a token with the
 * metrics scope only, which is passed on to the scrape.
 */
export function healthListener(
  subgraphs: { name: string; url: string }[],
  verify: VerifyToken,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    const refused = await operatorRefusal(verify, request.headers.authorization);
    if (refused) return sendRefusal(response, refused);
    const base = (url: string) => url.replace(/\/graphql$/, '');
    const services: ServiceHealth[] = [{ name: 'gateway', ready: true }];
    for (const subgraph of subgraphs) {
      try {
        const answer = await fetch(`${base(subgraph.url)}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
        const body = (await answer.json().catch(() => ({}))) as { status?: string; unavailable?: string[] };
        const detail = body.unavailable?.length ? `${body.unavailable.join(', ')} unavailable` : (body.status ?? `HTTP ${answer.status}`);
        services.push({ name: subgraph.name, ready: answer.ok, ...(answer.ok ? {} : { detail }) });
      } catch (error) {
        services.push({
          name: subgraph.name,
          ready: false,
          detail: error instanceof Error && error.name === 'TimeoutError' ? 'no answer in time' : 'unreachable',
        });
      }
    }
    const health: Health = { services };
    const usage = subgraphs.find((s) => s.name === 'usage');
    if (usage) {
      const scraped = await fetch(`${base(usage.url)}/metrics`, {
        headers: { authorization: request.headers.authorization ?? '' },
        signal: AbortSignal.timeout(timeoutMs),
      })
        .then((answer) => (answer.ok ? answer.text() : undefined))
        .catch(() => undefined);
      if (scraped) {
        const value = (name: string, labels: Record<string, string> = {}) => gaugeValue(scraped, name, labels) ?? 0;
        health.webhooks = {
          backlog: value('usage_graph_webhook_backlog_deliveries'),
          oldestSeconds: value('usage_graph_webhook_backlog_oldest_seconds'),
          suspendedHubs: value('usage_graph_hubs', { state: 'suspended' }),
        };
        health.ingestion = {
          lagSeconds: value('usage_graph_ingest_lag_seconds'),
          accepted: value('usage_graph_ingest_jobs', { state: 'ACCEPTED' }),
          inProgress: value('usage_graph_ingest_jobs', { state: 'INPROGRESS' }),
        };
      }
    }
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(health));
  };
}
