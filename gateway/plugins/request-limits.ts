import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';

const accepted = new Set(['application/json', 'application/graphql+json']);

/**
 * The HTTP body of a GraphQL POST, checked from its headers before anything reads it: JSON only
 * (415 otherwise: no multipart or form bodies, which also keeps cross-site "simple" requests out),
 * a declared length (411), at most BODY_LIMIT_BYTES (413). Websocket messages have their own limit.
 */
export function useRequestLimits(bodyLimitBytes: number): GatewayPlugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'POST' || url.pathname !== '/graphql') return;
      const refuse = (status: number, message: string) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }), {
            status,
            headers: { 'content-type': 'application/json' },
          }),
        );
      const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!accepted.has(type)) return refuse(415, `Content-Type ${type || '(none)'} is not accepted; send application/json.`);
      const length = request.headers.get('content-length');
      if (length === null) return refuse(411, 'Send the body with a Content-Length.');
      if (!/^\d+$/.test(length) || Number(length) > bodyLimitBytes) return refuse(413, `The request body exceeds ${bodyLimitBytes} bytes.`);
    },
  };
}
