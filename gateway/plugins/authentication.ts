import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { refusal, refusalResponse } from '../../platform/error-response.js';
import { ErrorCode } from '../../platform/errors.js';
import type { RequestCaller } from '../../platform/caller.js';
import { TokenError, type VerifyToken } from '../../platform/token-verifier.js';

/** What the gateway's GraphQL context holds once a request is authenticated. */
export interface CallerContext {
  caller?: RequestCaller;
}

const open = new Set(['/healthz', '/readyz']);

/** The GraphQL-over-HTTP body of a refused request, with the status the transports use. */
export function unauthenticatedResponse(fetchAPI: { Response: typeof Response }, message: string): Response {
  return refusalResponse(fetchAPI, refusal(ErrorCode.UNAUTHENTICATED, message));
}

/**
 * Verifies the bearer token of every HTTP request once, before anything is parsed or run: GraphQL
 * and export downloads. Health checks stay open (load balancers send no tokens), and so, with the
 * IDE on (development), do the GraphiQL and landing pages, which hold no data. A refused request
 * gets 401 and UNAUTHENTICATED. Websockets authenticate at connection_init (gateway/websocket-auth.ts).
 */
export function useAuthentication(verify: VerifyToken, ide: boolean, callers: WeakMap<Request, RequestCaller>): GatewayPlugin<CallerContext> {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (open.has(url.pathname)) return;
      const page = request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html') && !url.searchParams.has('query');
      if (ide && page) return;
      try {
        callers.set(request, (await verify(request.headers.get('authorization'))).caller);
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        endResponse(unauthenticatedResponse(fetchAPI, error.message));
      }
    },
    onContextBuilding({ context, extendContext }) {
      // A websocket operation comes with its caller already (verified at connection_init).
      const caller = context.caller ?? callers.get(context.request);
      if (caller) extendContext({ caller });
    },
  };
}
