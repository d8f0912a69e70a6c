import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import type { RequestCaller } from '../../platform/caller.js';
import { ErrorCode } from '../../platform/errors.js';
import type { RateLimiter } from '../rate-limiter.js';

/** The 429 every transport speaks over HTTP: code TOO_MANY_REQUESTS and Retry-After in seconds. */
export function tooManyRequestsResponse(fetchAPI: { Response: typeof Response }, retryAfter: number): Response {
  const message = `Rate limit exceeded for this tenant; retry after ${retryAfter} s.`;
  return new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.TOO_MANY_REQUESTS } }] }), {
    status: 429,
    headers: { 'content-type': 'application/json', 'retry-after': String(retryAfter) },
  });
}

/**
 * RATE_LIMIT_PER_SECOND / RATE_LIMIT_BURST per tenant, for every authenticated HTTP request (GraphQL
 * and export downloads; the REST facade's calls count, since they come through here with the
 * caller's token). Runs after authentication, which leaves the caller in `callers`.
 */
export function useRateLimit(limiter: RateLimiter, callers: WeakMap<Request, RequestCaller>, onRefused: () => void = () => {}): GatewayPlugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      const caller = callers.get(request);
      if (!caller) return;
      const wait = limiter.take(caller.tenant);
      if (wait > 0) {
        onRefused();
        endResponse(tooManyRequestsResponse(fetchAPI, wait));
      }
    },
  };
}
