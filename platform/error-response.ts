import type { ServerResponse } from 'node:http';
import { ErrorCode, httpStatusOf } from './errors.js';

/**
 * A request refused before GraphQL runs (authentication, rate limit, body limits, operator pages,
 * export downloads), answered in the GraphQL-over-HTTP error shape with the status of its code:
 * the same body and the same table (platform/errors.ts) whichever process and server answer.
 */
export interface Refusal {
  code: ErrorCode;
  message: string;
  headers?: Record<string, string>;
  /**
   * HTTP's own refusals that have no code of their own in the vocabulary (411 Length Required,
   * 415 Unsupported Media Type): the status, with the code BAD_REQUEST. Nothing else sets it.
   */
  status?: 411 | 415;
}

export const refusal = (code: ErrorCode, message: string, headers?: Record<string, string>): Refusal => ({
  code,
  message,
  ...(headers ? { headers } : {}),
});

function parts({ code, message, headers, status }: Refusal) {
  // RFC 6750 §3: a 401 names the scheme the client should use.
  const challenge: Record<string, string> = code === ErrorCode.UNAUTHENTICATED ? { 'www-authenticate': 'Bearer' } : {};
  return {
    status: status ?? httpStatusOf[code],
    headers: { 'content-type': 'application/json', ...challenge, ...headers },
    body: JSON.stringify({ errors: [{ message, extensions: { code } }] }),
  };
}

/** For the gateway's plugins, which answer with the fetch API their runtime hands them. */
export function refusalResponse(fetchAPI: { Response: typeof Response }, refused: Refusal): Response {
  const { status, headers, body } = parts(refused);
  return new fetchAPI.Response(body, { status, headers });
}

/** For Node's own HTTP servers (subgraphs, /metrics, the gateway's /health). */
export function sendRefusal(response: ServerResponse, refused: Refusal): void {
  const { status, headers, body } = parts(refused);
  response.writeHead(status, headers);
  response.end(body);
}
