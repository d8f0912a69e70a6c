import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { refusalResponse } from '../../platform/error-response.js';
import { ErrorCode } from '../../platform/errors.js';
import { mediaType } from '../../platform/media-type.js';

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
      // A body too large has its own code; a missing length or another media type is HTTP's own refusal.
      const type = mediaType(request.headers.get('content-type'));
      if (!accepted.has(type)) {
        const message = `Content-Type ${type || '(none)'} is not accepted; send application/json.`;
        return endResponse(refusalResponse(fetchAPI, { code: ErrorCode.BAD_REQUEST, message, status: 415 }));
      }
      const length = request.headers.get('content-length');
      if (length === null)
        return endResponse(refusalResponse(fetchAPI, { code: ErrorCode.BAD_REQUEST, message: 'Send the body with a Content-Length.', status: 411 }));
      if (!/^\d+$/.test(length) || Number(length) > bodyLimitBytes) {
        return endResponse(refusalResponse(fetchAPI, { code: ErrorCode.PAYLOAD_TOO_LARGE, message: `The request body exceeds ${bodyLimitBytes} bytes.` }));
      }
    },
  };
}
