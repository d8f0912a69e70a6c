import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { ErrorCode } from '../../platform/errors.js';

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
      // A body too large has its own code; a missing length or another media type is a bad request.
      const refuse = (status: 411 | 413 | 415, message: string) =>
        endResponse(
          new fetchAPI.Response(
            JSON.stringify({ errors: [{ message, extensions: { code: status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_REQUEST } }] }),
            {
              status,
              headers: { 'content-type': 'application/json' },
            },
          ),
        );
      const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!accepted.has(type)) return refuse(415, `Content-Type ${type || '(none)'} is not accepted; send application/json.`);
      const length = request.headers.get('content-length');
      if (length === null) return refuse(411, 'Send the body with a Content-Length.');
      if (!/^\d+$/.test(length) || Number(length) > bodyLimitBytes) return refuse(413, `The request body exceeds ${bodyLimitBytes} bytes.`);
    },
  };
}
