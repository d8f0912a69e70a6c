import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { refusal, refusalResponse } from '../../platform/error-response.js';
import { ErrorCode } from '../../platform/errors.js';

const exportRoute = /^\/exports\/[0-9a-f-]{36}$/;

/**
 * GET /exports/<id>: the records of a finished export job, streamed from the usage subgraph that
 * wrote them. A million usages do not fit a GraphQL response, so the file travels as a plain HTTP
 * stream; it still goes through the gateway, so clients never reach a subgraph directly.
 */
export function useExportDownloads(usageSubgraphUrl: string, authorize: (request: Request) => Record<string, string> | Response): GatewayPlugin {
  const origin = new URL(usageSubgraphUrl).origin;
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' || !exportRoute.test(url.pathname)) return;
      // The caller's scope, and the signed caller the subgraph requires (gateway/server.ts).
      const headers = authorize(request);
      if (headers instanceof Response) return endResponse(headers);
      try {
        const upstream = await fetch(`${origin}${url.pathname}`, { headers });
        endResponse(
          new fetchAPI.Response(upstream.body, {
            status: upstream.status,
            headers: {
              'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream',
              ...(upstream.headers.get('x-exported-count') ? { 'x-exported-count': upstream.headers.get('x-exported-count')! } : {}),
            },
          }),
        );
      } catch {
        endResponse(refusalResponse(fetchAPI, refusal(ErrorCode.SERVICE_UNAVAILABLE, 'The usage subgraph is unavailable.', { 'retry-after': '1' })));
      }
    },
  };
}
