import type { ServerOptions } from 'graphql-ws';
import { ErrorCode, UsageGraphError } from '../platform/errors.js';
import type { TenantLimiter } from './rate-limiter.js';
import type { AuthenticatedExtra } from './websocket-auth.js';

/**
 * Websocket limits beside message size and unread bytes (websocket.ts): at most WS_MAX_SUBSCRIPTIONS
 * operations at once per connection, and every subscribe counts against the tenant's rate limit like
 * an HTTP request. Either refusal is an `error` message for that operation (code TOO_MANY_REQUESTS);
 * the connection and its other subscriptions go on. No `http` extension (platform/errors.ts httpError):
 * a websocket message would carry it to the client.
 */
export function withWebSocketLimits<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, AuthenticatedExtra>,
  limits: { maxSubscriptions: number; limiter: TenantLimiter },
): ServerOptions<P, AuthenticatedExtra> {
  const refuse = (message: string, retryAfter?: number) => [new UsageGraphError(ErrorCode.TOO_MANY_REQUESTS, message, retryAfter ? { retryAfter } : undefined)];
  return {
    ...options,
    async onSubscribe(ctx, id, payload) {
      // graphql-ws registers this operation before asking: count the others (before any await).
      const open = Object.keys(ctx.subscriptions).filter((other) => other !== id).length;
      if (open >= limits.maxSubscriptions) {
        return refuse(`This connection already holds ${open} operations; at most ${limits.maxSubscriptions} at once. Complete one first.`);
      }
      const tenant = ctx.extra.caller?.tenant;
      // The same budget as HTTP requests: with REDIS_URL the one every gateway shares.
      const wait = tenant ? await limits.limiter.take(tenant) : 0;
      if (wait > 0) return refuse(`Rate limit exceeded for this tenant; retry after ${wait} s.`, wait);
      return options.onSubscribe?.(ctx, id, payload);
    },
  };
}
