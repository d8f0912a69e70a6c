import type { IncomingHttpHeaders } from 'node:http';
import {
  context,
  createContextKey,
  INVALID_SPAN_CONTEXT,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry traces, exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, with the standard variables (OTEL_BSP_*, headers,
 * OTEL_TRACES_SAMPLER are read by the SDK itself); without, no provider exists and every call below
 * is the API's no-op. W3C `traceparent` carries a trace from the REST facade through the gateway to
 * each subgraph. Each service has a provider of its own, so `service.name` is right even when the
 * five run in one process (`npm start`); the context manager and the propagator are the process's.
 */
const providers = new Map<string, NodeTracerProvider>();
let installed = false;
let enabled: boolean | undefined;

/** Whether traces are exported: decided from the environment at the first span a process makes. */
export function tracingEnabled(): boolean {
  const env = process.env;
  enabled ??=
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) &&
    env.OTEL_TRACES_EXPORTER !== 'none' &&
    env.OTEL_SDK_DISABLED !== 'true';
  return enabled;
}

/** The tracer of the service whose server span is active: a database call is a span of the service that made it. */
const serviceTracer = createContextKey('usage-graph service tracer');

/** The tracer of `service` (gateway, usage, specification, party, rest). */
export function tracerFor(service: string): Tracer {
  if (!tracingEnabled()) return trace.getTracer(service);
  if (!installed) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    installed = true;
  }
  let provider = providers.get(service);
  if (!provider) {
    provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': `usage-graph-${service}`, 'service.namespace': 'usage-graph' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
    });
    providers.set(service, provider);
  }
  return provider.getTracer('usage-graph');
}

/** Sends what is buffered and stops (at shutdown; tests call it to see every span). */
export async function flushTraces(): Promise<void> {
  await Promise.all([...providers.values()].map((provider) => provider.forceFlush()));
}

/** The trace context an incoming request carries (`traceparent`), or the active one. */
export function contextOf(headers: IncomingHttpHeaders | Headers): Context {
  const carrier: Record<string, string> = {};
  if (headers instanceof Headers) headers.forEach((value, key) => (carrier[key] = value));
  else for (const [key, value] of Object.entries(headers)) if (typeof value === 'string') carrier[key] = value;
  return propagation.extract(context.active(), carrier);
}

/** The headers that carry the active trace to the next service (`traceparent`, `tracestate`). */
export function traceHeaders(): Record<string, string> {
  if (!tracingEnabled()) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Runs `work` in a server span that continues the trace of `parent` (an incoming request's); the
 * span ends when the returned promise settles, an error marking it failed.
 */
export async function inServerSpan<T>(tracer: Tracer, name: string, parent: Context, work: (span: Span) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER }, parent);
  try {
    return await context.with(trace.setSpan(parent, span).setValue(serviceTracer, tracer), () => work(span));
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Runs `work` in a client span, child of the active one, of the service whose server span that is
 * (a database call); without tracing, just `work`.
 */
export async function inClientSpan<T>(name: string, attributes: Record<string, string>, work: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work();
  const tracer = (context.active().getValue(serviceTracer) as Tracer | undefined) ?? tracerFor('background');
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The active span's trace and span ids, for a log line (none without tracing). */
export function traceIds(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  return span && trace.isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {};
}
