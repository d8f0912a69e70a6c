import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushTraces } from '../../platform/tracing.js';
import { createUsage } from '../support/fixtures.js';
import { startStack, type Stack } from '../support/stack.js';
import { stderrDuring } from '../support/stderr.js';

/**
 * One REST list makes one trace: a span of the REST facade, the gateway's as its child, the usage
 * subgraph's as the gateway's child and the database calls as the subgraph's, exported over OTLP/HTTP
 * (JSON) to a receiver of the test's on a free port, with OTEL_EXPORTER_OTLP_ENDPOINT as a user sets it.
 */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: { stringValue?: string } }[];
}
interface ExportedSpan extends OtlpSpan {
  service: string;
}

let stack: Stack;
let receiver: Server;
const received: ExportedSpan[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const resourceSpans of body.resourceSpans) {
        const service = resourceSpans.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) received.push({ ...span, service });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
  // Request log lines too: JSON, with the trace they belong to.
  stack = await startStack('traces', { LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
});
afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function spansOfTrace(traceId: string, services: readonly string[], deadlineMs = 10_000): Promise<ExportedSpan[]> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    await flushTraces();
    const spans = received.filter((span) => span.traceId === traceId);
    if (services.every((service) => spans.some((span) => span.service === service))) return spans;
    if (Date.now() > until)
      throw new Error(`trace ${traceId} has spans of ${[...new Set(spans.map((s) => s.service))].join(', ') || 'nothing'}, not all of ${services.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('traces', () => {
  it('follow one REST list from the facade through the gateway to the usage subgraph and its database calls', async () => {
    await createUsage(stack, { usageType: 'traced', usageDate: '2026-11-03T10:00:00Z' });
    let listed: Awaited<ReturnType<Stack['rest']>> | undefined;
    const lines = await stderrDuring(async () => {
      listed = await stack.rest('GET', '/tmf-api/productUsageManagement/v5/productUsage?limit=2');
    });
    expect(listed!.status).toBe(200);
    await flushTraces();
    const root = received.find((span) => span.service === 'usage-graph-rest' && span.name === 'GET /tmf-api/productUsageManagement/v5/productUsage');
    expect(root, `spans received: ${received.map((s) => `${s.service} ${s.name}`).join('; ')}`).toBeDefined();
    const spans = await spansOfTrace(root!.traceId, ['usage-graph-rest', 'usage-graph-gateway', 'usage-graph-usage']);
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const parentOf = (span: ExportedSpan) => (span.parentSpanId ? byId.get(span.parentSpanId) : undefined);

    expect(root!.parentSpanId || undefined).toBeUndefined();
    const gateway = spans.find((span) => span.service === 'usage-graph-gateway' && span.name === 'POST /graphql')!;
    expect(parentOf(gateway)?.spanId).toBe(root!.spanId);
    const subgraph = spans.find((span) => span.service === 'usage-graph-usage' && span.name === 'POST /graphql')!;
    expect(parentOf(subgraph)?.spanId).toBe(gateway.spanId);
    const database = spans.filter((span) => span.attributes?.some((a) => a.key === 'db.system' && a.value.stringValue === 'mongodb'));
    expect(database.map((span) => span.name)).toContain('Listing usages');
    for (const call of database) {
      expect(call.service).toBe('usage-graph-usage');
      expect(parentOf(call)?.spanId).toBe(subgraph.spanId);
    }

    // One JSON log line per request on each service, in the same trace, naming the route or the
    // operation, the tenant, the outcome and the duration, and nothing of the request's data.
    const logged = lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'request' && line.traceId === root!.traceId);
    expect(logged).toContainEqual(
      expect.objectContaining({
        route: '/tmf-api/productUsageManagement/v5/productUsage',
        method: 'GET',
        status: 200,
        tenant: 'test-tenant',
        spanId: root!.spanId,
      }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ operation: 'RestListProductUsages', type: 'query', status: 'ok', tenant: 'test-tenant', spanId: gateway.spanId }),
    );
    expect(logged).toContainEqual(expect.objectContaining({ operation: 'productUsages', status: 'ok', tenant: 'test-tenant', spanId: subgraph.spanId }));
    for (const line of logged) expect(typeof line.durationMs).toBe('number');
    const text = lines.join('');
    expect(text).not.toContain(stack.token);
    expect(text).not.toMatch(/Bearer|traced|usageCharacteristic/);
  });
});
