import type { FastifyInstance, FastifyRequest } from 'fastify';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { contextOf, tracerFor, tracingEnabled } from '../platform/tracing.js';

/**
 * A server span per request (named by its route template), continuing the caller's `traceparent`;
 * the rest of the request runs in it, so the call to the gateway carries it on (gateway-client.ts).
 * Nothing is registered without tracing.
 */
export function registerTracing(app: FastifyInstance): void {
  if (!tracingEnabled()) return;
  const tracer = tracerFor('rest');
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = contextOf(request.headers);
    const span = tracer.startSpan(
      `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': request.routeOptions.url ?? 'unmatched' },
      },
      parent,
    );
    spans.set(request, span);
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
