import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../platform/errors.js';
import { TokenError, type VerifyToken } from '../platform/token-verifier.js';
import { fromGraphError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a token: the OpenAPI documents and their viewer, which hold no data. */
    public?: boolean;
  }
}

/**
 * The bearer token of every request is verified first, in `onRequest`, before Fastify reads the body
 * and before any route parses a parameter: a caller without a valid token learns nothing about what
 * a valid request would look like (no schema problems, no parameter names), and the facade parses
 * nothing for it. The verifier is the gateway's (same keys, issuer and audience; remembered tokens),
 * so a token is accepted here exactly when the gateway accepts it; the gateway still verifies what
 * the facade forwards, and decides scopes.
 *
 * Refusals are the graph's UNAUTHENTICATED, so each surface shows them in its own shape through its
 * error handler: the TMF error body (401, `WWW-Authenticate: Bearer`) or the UTS one
 * (`mdsp.core.generic.unauthorized`). Register after the anonymous preflight, whose hook answers first.
 */
/** The tenant of each authenticated request, for its log line (request-log.ts). */
const tenants = new WeakMap<FastifyRequest, string>();
export const tenantOf = (request: FastifyRequest): string | undefined => tenants.get(request);

export function registerAuthentication(app: FastifyInstance, verify: VerifyToken): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public) return;
    try {
      tenants.set(request, (await verify(request.headers.authorization)).caller.tenant);
    } catch (error) {
      if (error instanceof TokenError) throw fromGraphError(ErrorCode.UNAUTHENTICATED, error.message);
      throw error;
    }
  });
}
