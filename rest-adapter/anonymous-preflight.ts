import type { FastifyInstance } from 'fastify';

/** The one call the TMF635 v4 conformance kit makes before it has a token. */
export const preflightPath = '/tmf-api/usageManagement/v4/usage';

/**
 * TMF_ANONYMOUS_PREFLIGHT: what `GET /tmf-api/usageManagement/v4/usage`, with no Authorization
 * header and no query string, answers. `empty` (the default): 200 with an empty page, as for an
 * anonymous tenant that owns nothing; the graph is not asked, so nothing can leak. `refuse`: 401
 * like every other call without a token. Any other call without a token is 401, and a call with a
 * bad token is 401 on this path too.
 */
export function registerAnonymousPreflight(app: FastifyInstance, policy: 'empty' | 'refuse'): void {
  if (policy !== 'empty') return;
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || request.headers.authorization !== undefined) return;
    if (request.url.replace(/\/$/, '') !== preflightPath) return;
    return reply.code(200).header('X-Total-Count', '0').header('X-Result-Count', '0').type('application/json').send('[]');
  });
}
