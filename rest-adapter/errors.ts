import { ErrorCode } from '../platform/errors.js';

/**
 * The one table from the graph's error vocabulary to TMF error bodies (TMF630:
 * `{ "@type": "Error", code, reason, message, status }`, code and reason required).
 */
export interface TmfErrorBody {
  '@type': 'Error';
  code: string;
  reason: string;
  message: string;
  status: string;
}

export class TmfError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): TmfErrorBody {
    return { '@type': 'Error', code: String(this.status), reason: this.reason, message: this.message, status: String(this.status) };
  }
}

const byGraphCode: Record<string, { status: number; reason: string }> = {
  [ErrorCode.BAD_USER_INPUT]: { status: 400, reason: 'Bad Request' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, reason: 'Bad Request' },
  BAD_REQUEST: { status: 400, reason: 'Bad Request' },
  [ErrorCode.UNAUTHENTICATED]: { status: 401, reason: 'Unauthorized' },
  [ErrorCode.FORBIDDEN]: { status: 403, reason: 'Forbidden' },
  [ErrorCode.NOT_FOUND]: { status: 404, reason: 'Not Found' },
  [ErrorCode.CONFLICT]: { status: 409, reason: 'Conflict' },
  [ErrorCode.SERVICE_UNAVAILABLE]: { status: 503, reason: 'Service Unavailable' },
  [ErrorCode.GATEWAY_TIMEOUT]: { status: 504, reason: 'Gateway Timeout' },
  [ErrorCode.TOO_MANY_REQUESTS]: { status: 429, reason: 'Too Many Requests' },
};

/**
 * The facade's operations are fixed documents: the gateway refuses one only for its shape limits
 * (GRAPHQL_MAX_COST and the like), which the client's `limit` and `fields` drive. Its message speaks
 * GraphQL; a REST client is told what to change instead.
 */
const shapeRefusals = new Set(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']);
export const tooLargeForOneRequest = 'The request asks for more than this server answers at once; ask for a smaller limit or fewer fields.';

/** A graph error as a TMF error; anything unknown is a 500 with no internal detail. */
export function fromGraphError(code: string | undefined, message: string, retryAfter?: string | null): TmfError {
  const known = code ? byGraphCode[code] : undefined;
  if (!known) return internalError();
  if (code && shapeRefusals.has(code)) return new TmfError(known.status, known.reason, tooLargeForOneRequest);
  // RFC 6750: a 401 names the scheme the client should use; a 429 says when to come back.
  const headers: Record<string, string> = known.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  // RFC 9110 §10.2.3: also on 503, and on 504 since the same retry helps; seconds as the graph says, else 1.
  if (known.status === 429 || known.status === 503 || known.status === 504)
    headers['retry-after'] = retryAfter && /^\d{1,6}$/.test(retryAfter) ? retryAfter : '1';
  return new TmfError(known.status, known.reason, message, headers);
}

export const badRequest = (message: string) => new TmfError(400, 'Bad Request', message);
/** Ours to fix, worth a retry: the graph behind the facade is unreachable, or the facade is stopping. */
export const serviceUnavailable = (message: string) => new TmfError(503, 'Service Unavailable', message, { 'retry-after': '1' });
export const notFound = (message: string) => new TmfError(404, 'Not Found', message);
export const internalError = () => new TmfError(500, 'Internal Server Error', 'The server could not complete the request.');
export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  new TmfError(405, 'Method Not Allowed', `${method} is not allowed here; allowed: ${allowed.join(', ')}.`, { allow: allowed.join(', ') });
export const unsupportedMediaType = (type: string, allowed: readonly string[]) =>
  new TmfError(415, 'Unsupported Media Type', `Content-Type ${type || '(none)'} is not accepted here; use ${allowed.join(' or ')}.`);
export const payloadTooLarge = (limit: number) => new TmfError(413, 'Payload Too Large', `The request body exceeds ${limit} bytes.`);
