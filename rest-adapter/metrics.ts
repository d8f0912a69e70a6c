import type { FastifyInstance } from 'fastify';
import { metricsListener, type Metrics } from '../platform/metrics.js';
import type { VerifyToken } from '../platform/token-verifier.js';

/**
 * The facade's series: every request by method, route template (never the raw path, whose ids
 * would make a series per usage) and status, with its duration; and GET /metrics itself, to a token
 * with the metrics scope (platform/metrics.ts). Registered before the app listens.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, verify: VerifyToken): void {
  const requests = metrics.histogram('usage_graph_rest_request_duration_seconds', 'REST requests, by method, route template and status.', [
    'method',
    'route',
    'status',
  ]);
  app.addHook('onResponse', (request, reply, done) => {
    requests.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  const serve = metricsListener(metrics, verify);
  app.get('/metrics', async (request, reply) => {
    reply.hijack();
    await serve(request.raw, reply.raw);
  });
}
