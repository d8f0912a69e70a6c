import { ErrorCode, httpStatusOf, isErrorCode, type UsageGraphError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { ErrorSurface } from './error-hook.js';

/**
 * The graph's errors as TMF error bodies (TMF630: `{ "@type": "Error", code, reason, message, status }`,
 * code and reason required), with the status platform/errors.ts gives each code.
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

/** TMF630's `reason`: the HTTP reason phrase of the status (RFC 9110 §15). */
const reasons: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const tmfError = (status: number, message: string, headers?: Record<string, string>) => new TmfError(status, reasons[status] ?? 'Error', message, headers);

/**
 * The facade's operations are fixed documents: the gateway refuses one only for its shape limits
 * (GRAPHQL_MAX_COST and the like), which the client's `limit` and `fields` drive. Its message speaks
 * GraphQL; a REST client is told what to change instead.
 */
export const tooLargeForOneRequest = 'The request asks for more than this server answers at once; ask for a smaller limit or fewer fields.';

/**
 * A graph error as a TMF error, with the status of its code (platform/errors.ts); an unknown code,
 * or INTERNAL_SERVER_ERROR, is a 500 with no internal detail.
 */
export function fromGraphError(code: unknown, message: string, retryAfter?: string | null): TmfError {
  const status = isErrorCode(code) ? httpStatusOf[code] : 500;
  if (status === 500) return internalError();
  if (code === ErrorCode.GRAPHQL_VALIDATION_FAILED) return tmfError(status, tooLargeForOneRequest);
  // RFC 6750: a 401 names the scheme the client should use; a 429 says when to come back.
  const headers: Record<string, string> = status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  // RFC 9110 §10.2.3: also on 503, and on 504 since the same retry helps; seconds as the graph says, else 1.
  if (status === 429 || status === 503 || status === 504) headers['retry-after'] = retryAfter && /^\d{1,6}$/.test(retryAfter) ? retryAfter : '1';
  return tmfError(status, message, headers);
}

/** One of the graph's errors raised in the facade itself, as a TMF error. */
export const fromUsageGraphError = (error: UsageGraphError) => {
  const retryAfter = error.extensions.http?.headers?.['retry-after'];
  return fromGraphError(error.code, error.message, retryAfter);
};

/** An error of the facade's own in the graph's vocabulary. */
export const fromCode = (code: ErrorCode, message: string, headers?: Record<string, string>) => tmfError(httpStatusOf[code], message, headers);

export const badRequest = (message: string) => fromCode(ErrorCode.BAD_USER_INPUT, message);
/** Ours to fix, worth a retry: the graph behind the facade is unreachable, or the facade is stopping. */
export const serviceUnavailable = (message: string) => fromCode(ErrorCode.SERVICE_UNAVAILABLE, message, { 'retry-after': '1' });
export const notFound = (message: string) => fromCode(ErrorCode.NOT_FOUND, message);
export const payloadTooLarge = (message: string) => fromCode(ErrorCode.PAYLOAD_TOO_LARGE, message);
export const internalError = () => fromCode(ErrorCode.INTERNAL_SERVER_ERROR, 'The server could not complete the request.');
// HTTP's own refusals, with no code in the graph's vocabulary: the graph never meets them.
export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  tmfError(405, `${method} is not allowed here; allowed: ${allowed.join(', ')}.`, { allow: allowed.join(', ') });
export const unsupportedMediaType = (type: string, allowed: readonly string[]) =>
  tmfError(415, `Content-Type ${type || '(none)'} is not accepted here; use ${allowed.join(' or ')}.`);

/** The TMF635 surface (error-hook.ts): its errors are the facade's, sent with their headers. */
export const tmfSurface = (log: Logger): ErrorSurface<TmfError> => ({
  log,
  isOwn: (error) => error instanceof TmfError,
  fromFacade: (error) => error,
  reply: (error) => ({ status: error.status, headers: error.headers, body: error.body() }),
});
