import type { FastifyInstance } from 'fastify';
import { answersReady, readinessOf, readinessResponse } from '../../platform/readiness.js';

/**
 * GET /healthz (the process answers) and GET /readyz (the gateway behind it is ready, which means
 * every subgraph and their database are: 503 naming what is not), open to load balancers.
 */
export function registerHealth(app: FastifyInstance, gatewayUrl: string): void {
  const gatewayReady = new URL('/readyz', gatewayUrl).href;
  const open = { config: { public: true } };
  app.get('/healthz', open, async (_request, reply) => reply.type('application/json').send({ status: 'ok' }));
  app.get('/readyz', open, async (_request, reply) => {
    const { status, body } = readinessResponse(await readinessOf({ gateway: () => answersReady(gatewayReady) }, () => 'the gateway'));
    return reply.code(status).header('cache-control', 'no-store').type('application/json').send(body);
  });
}
