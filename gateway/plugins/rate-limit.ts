import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import type { RequestCaller } from '../../platform/caller.js';
import { refusal, refusalResponse } from '../../platform/error-response.js';
import { ErrorCode } from '../../platform/errors.js';
import type { TenantLimiter } from '../rate-limiter.js';

/** The 429 every transport speaks over HTTP: code TOO_MANY_REQUESTS and Retry-After in seconds. */
export function tooManyRequestsResponse(fetchAPI: { Response: typeof Response }, retryAfter: number): Response {
  const message = `Rate limit exceeded for this tenant; retry after ${retryAfter} s.`;
  return refusalResponse(fetchAPI, refusal(ErrorCode.TOO_MANY_REQUESTS, message, { 'retry-after': String(retryAfter) }));
}

/**
 * RATE_LIMIT_PER_SECOND / RATE_LIMIT_BURST per tenant, for every authenticated HTTP request (GraphQL
 * and export downloads; the REST facade's calls count, since they come through here with the
 * caller's token). Runs after authentication, which leaves the caller in `callers`. The limiter is
 * this process's bucket, or with REDIS_URL the one every gateway shares; the shared one answers from
 * this process's bucket when Redis does not, so this never fails a request of its own.
 */
export function useRateLimit(limiter: TenantLimiter, callers: WeakMap<Request, RequestCaller>, onRefused: () => void = () => {}): GatewayPlugin {
  return {
    async onRequest({ request, endResponse, fetchAPI }) {
      const caller = callers.get(request);
      if (!caller) return;
      const wait = await limiter.take(caller.tenant);
      if (wait > 0) {
        onRefused();
        endResponse(tooManyRequestsResponse(fetchAPI, wait));
      }
    },
  };
}
