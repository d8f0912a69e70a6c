import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scope } from '../../platform/caller.js';
import { IngestUsagesDocument, UsagesDocument } from '../operations/generated.js';
import { createUsage } from '../support/fixtures.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';
import { gaugeValue } from '../../gateway/health.js';
import { subscribe, subscribersLive } from '../support/subscriber.js';
import { waitFor } from '../support/wait.js';
import { stderrDuring } from '../support/stderr.js';

/**
 * GET /metrics on each service of the real system, in the Prometheus text format, to a token with
 * the metrics scope only; after a little traffic the series of docs/observability.md are there.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('metrics');
});
afterAll(async () => {
  await stack?.close();
});

const gatewayBase = () => stack.gatewayUrl.replace(/\/graphql$/, '');
const scrape = (base: string, authorization?: string) => fetch(`${base}/metrics`, { headers: authorization ? { authorization } : {} });
const services = () => [
  ['gateway', gatewayBase()],
  ['rest', stack.restUrl],
  ...stack.system.subgraphs.map((subgraph) => [subgraph.name, subgraph.url.replace(/\/graphql$/, '')]),
];

const valueOf = gaugeValue;

describe('metrics', () => {
  it('are refused without a token (401) and to a token without the metrics scope (403), on every service', async () => {
    const reader = `Bearer ${await stack.mintToken({ scopes: [Scope.USAGE_READ] })}`;
    for (const [service, base] of services()) {
      expect((await scrape(base!)).status, `${service} without a token`).toBe(401);
      expect((await scrape(base!, reader)).status, `${service} with usage:read only`).toBe(403);
    }
  });

  it('show each service’s series after a little traffic', async () => {
    await createUsage(stack, { usageType: 'metrics', usageDate: '2026-11-03T10:00:00Z' });
    dataOf(await stack.request(UsagesDocument, { limit: 5 }));
    expect((await stack.rest('GET', '/tmf-api/productUsageManagement/v5/productUsage?limit=2')).status).toBe(200);
    const operator = `Bearer ${await stack.mintToken({ scopes: [Scope.METRICS] })}`;
    const text = async (base: string) => {
      const response = await scrape(base, operator);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return response.text();
    };

    const gateway = await text(gatewayBase());
    const mine = { service: 'gateway' };
    expect(valueOf(gateway, 'usage_graph_process_cpu_seconds_total', mine)).toBeGreaterThan(0);
    expect(valueOf(gateway, 'usage_graph_nodejs_eventloop_lag_seconds', mine)).toBeGreaterThanOrEqual(0);
    expect(
      valueOf(gateway, 'usage_graph_gateway_operation_duration_seconds_count', { ...mine, operation: 'Usages', type: 'query', outcome: 'ok' }),
    ).toBeGreaterThan(0);
    // The REST facade's request, as its named operation.
    expect(valueOf(gateway, 'usage_graph_gateway_operation_duration_seconds_count', { operation: 'RestListProductUsages', type: 'query' })).toBeGreaterThan(0);
    expect(valueOf(gateway, 'usage_graph_gateway_subgraph_request_duration_seconds_count', { subgraph: 'usage', outcome: 'ok' })).toBeGreaterThan(0);
    expect(valueOf(gateway, 'usage_graph_gateway_entity_cache_reads_total', { result: 'miss' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(gateway, 'usage_graph_gateway_websocket_connections', mine)).toBeGreaterThanOrEqual(0);
    expect(valueOf(gateway, 'usage_graph_gateway_rate_limited_total', mine)).toBe(0);

    const rest = await text(stack.restUrl);
    // The route template, not the path: one series for every usage id.
    const route = '/tmf-api/productUsageManagement/v5/productUsage';
    expect(valueOf(rest, 'usage_graph_rest_request_duration_seconds_count', { service: 'rest', method: 'GET', route, status: '200' })).toBeGreaterThan(0);
    expect(rest).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);

    const ingested = dataOf(
      await stack.request(IngestUsagesDocument, {
        usages: [{ tenantId: 'metrics-consumer', application: 'metrics-app', resource: 'r1', unit: 'kwh', value: 1, datetime: new Date().toISOString() }],
      }),
    ).ingestProductUsages;
    expect(ingested.storedCount).toBe(1);
    const [usage, specification, party] = ['usage', 'specification', 'party'].map((name) =>
      stack.system.subgraphs.find((s) => s.name === name)!.url.replace(/\/graphql$/, ''),
    );
    const usageText = await text(usage!);
    // The gateway's subgraph requests are anonymous: they are named by their root field.
    expect(
      valueOf(usageText, 'usage_graph_subgraph_operation_duration_seconds_count', { service: 'usage', operation: 'productUsages', outcome: 'ok' }),
    ).toBeGreaterThan(0);
    expect(valueOf(usageText, 'usage_graph_db_command_duration_seconds_count', { command: 'find', collection: 'productUsages' })).toBeGreaterThan(0);
    expect(valueOf(usageText, 'usage_graph_webhook_backlog_deliveries', { service: 'usage' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(usageText, 'usage_graph_webhook_backlog_oldest_seconds', { service: 'usage' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(usageText, 'usage_graph_hubs', { state: 'suspended' })).toBe(0);
    expect(valueOf(usageText, 'usage_graph_ingest_jobs', { state: 'COMPLETED' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(usageText, 'usage_graph_export_jobs', { state: 'Failed' })).toBe(0);
    expect(valueOf(usageText, 'usage_graph_ingested_usages_total', { outcome: 'stored' })).toBeGreaterThan(0);
    expect(valueOf(usageText, 'usage_graph_ingest_lag_seconds', { service: 'usage' })).toBeGreaterThanOrEqual(0);
    for (const [name, base] of [
      ['specification', specification],
      ['party', party],
    ] as const) {
      const series = await text(base!);
      expect(valueOf(series, 'usage_graph_process_resident_memory_bytes', { service: name })).toBeGreaterThan(0);
      expect(series).toMatch(new RegExp(`usage_graph_subgraph_operation_duration_seconds_count\\{[^}]*service="${name}"`));
    }
  });

  it('feed the health page: each service ready, the webhook backlog and the ingestion lag, to an operator only', async () => {
    const health = (authorization?: string) => fetch(`${gatewayBase()}/health`, { headers: authorization ? { authorization } : {} });
    expect((await health()).status).toBe(401);
    expect((await health(`Bearer ${await stack.mintToken({ scopes: [Scope.USAGE_READ] })}`)).status).toBe(403);
    const answer = await health(`Bearer ${await stack.mintToken({ scopes: [Scope.METRICS] })}`);
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { services: { name: string; ready: boolean }[]; webhooks: Record<string, number>; ingestion: Record<string, number> };
    expect(body.services.map((service) => service.name).sort()).toEqual(['gateway', 'party', 'specification', 'usage']);
    for (const service of body.services) expect(service, service.name).toEqual({ name: service.name, ready: true });
    expect(body.webhooks).toEqual({ backlog: expect.any(Number), oldestSeconds: expect.any(Number), suspendedHubs: 0 });
    expect(body.ingestion).toEqual({ lagSeconds: expect.any(Number), accepted: expect.any(Number), inProgress: expect.any(Number) });
  });

  it('count the subscriptions open at the gateway, up when one starts and down when its client ends it', async () => {
    const operator = `Bearer ${await stack.mintToken({ scopes: [Scope.METRICS] })}`;
    const open = async () => valueOf(await (await scrape(gatewayBase(), operator)).text(), 'usage_graph_gateway_subscriptions', { service: 'gateway' });
    const before = (await open())!;
    const subscriber = subscribe(stack.wsUrl, 'subscription { productUsageEvents { eventType } }');
    await subscribersLive(stack, 1);
    expect(await open()).toBe(before + 1);
    await subscriber.close();
    await waitFor('the subscription to be counted as closed', async () => (await open()) === before);
  });

  it('are off with METRICS=off: no endpoint on any service, and request lines off with LOG_REQUESTS=off', async () => {
    const quiet = await startStack('metrics_off', { METRICS: 'off', LOG_REQUESTS: 'off', LOG_LEVEL: 'info' });
    try {
      const operator = `Bearer ${await quiet.mintToken({ scopes: [Scope.METRICS] })}`;
      // The gateway and the facade have no such route; a subgraph answers only the gateway's signature beside its health checks.
      for (const base of [quiet.gatewayUrl.replace(/\/graphql$/, ''), quiet.restUrl]) expect((await scrape(base, operator)).status, base).toBe(404);
      for (const subgraph of quiet.system.subgraphs) expect((await scrape(subgraph.url.replace(/\/graphql$/, ''), operator)).status, subgraph.name).toBe(401);
      const lines = await stderrDuring(async () => dataOf(await quiet.request(UsagesDocument, { limit: 1 })));
      expect(lines.filter((line) => line.includes(' request '))).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});
