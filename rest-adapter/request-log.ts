import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.js';
import { logRequest } from '../platform/request-log.js';
import { tenantOf } from './authentication.js';

/** One log line per request (platform/request-log.ts): the route template, never the path with its ids. */
export function registerRequestLog(app: FastifyInstance, log: Logger): void {
  app.addHook('onResponse', (request, reply, done) => {
    logRequest(log, {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      tenant: tenantOf(request),
      durationMs: reply.elapsedTime,
    });
    done();
  });
}
