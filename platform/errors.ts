import { GraphQLError, type GraphQLErrorOptions, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

/**
 * The project's one error vocabulary. Every error a client sees carries one of these codes in
 * `extensions.code` (or, for a request graphql-js or Apollo Server refuses, one of theirs:
 * requestErrorCodes below); every HTTP status the subgraphs, the gateway and the REST facade
 * answer for one comes from httpStatusOf.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The HTTP request itself is refused (graphql-yoga's code for a request that is not a GraphQL one). */
  BAD_REQUEST: 'BAD_REQUEST',
  /**
   * The operation is refused before it runs: graphql-js's code for a document that fails validation,
   * also given to the gateway's own depth, alias and cost limits (GraphQL over HTTP, 400).
   */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  /** A body or a batch larger than the server takes (RFC 9110 §15.5.14, 413 Content Too Large). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  /** A service behind this one (a subgraph, the database) is down or unreachable: ours to fix, retry later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** A service behind this one did not answer in time; the abandoned work was cancelled. */
  GATEWAY_TIMEOUT: 'GATEWAY_TIMEOUT',
  /** A rate limit or a cap (concurrent exports): try again after the time the response names. */
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one table from code to HTTP status (RFC 9110 §15), for every transport that speaks HTTP. */
export const httpStatusOf: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  BAD_REQUEST: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
};

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(httpStatusOf, code);

/** Where in an operation an error happened, kept when one error replaces another. */
export type ErrorLocation = Pick<GraphQLErrorOptions, 'nodes' | 'source' | 'positions' | 'path'>;

export class UsageGraphError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, location?: ErrorLocation) {
    super(message, { ...location, extensions: { code, ...details } });
    this.code = code;
  }
}

/**
 * An error with the HTTP status of its code in `extensions.http`, which GraphQL over HTTP servers
 * (graphql-yoga under the gateway, Apollo Server in a subgraph) answer with and leave out of the body
 * (https://graphql.github.io/graphql-over-http/draft/#sec-application-graphql-response-json).
 * Not for websocket messages, which would carry `http` to the client as it is.
 */
export function httpError(
  code: ErrorCode,
  message: string,
  options: { headers?: Record<string, string>; details?: Record<string, unknown>; location?: ErrorLocation } = {},
): UsageGraphError {
  const http = { status: httpStatusOf[code], ...(options.headers ? { headers: options.headers } : {}) };
  return new UsageGraphError(code, message, { ...options.details, http }, options.location);
}

export const badUserInput = (message: string, field?: string) => new UsageGraphError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : undefined);

export const notFound = (type: string, id: string) => new UsageGraphError(ErrorCode.NOT_FOUND, `No ${type} with id "${id}".`, { type, id });

export const conflict = (message: string) => new UsageGraphError(ErrorCode.CONFLICT, message);

/** 429 with Retry-After, also when it travels through the gateway (which keeps `http`). */
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  httpError(ErrorCode.TOO_MANY_REQUESTS, message, { headers: { 'retry-after': String(retryAfterSeconds) } });

export const serviceUnavailable = (message: string) => new UsageGraphError(ErrorCode.SERVICE_UNAVAILABLE, message);

export const gatewayTimeout = (message: string) => new UsageGraphError(ErrorCode.GATEWAY_TIMEOUT, message);

/**
 * Codes that graphql-js and Apollo Server attach to request errors (parse, validation, variable
 * coercion). They describe the client's request, so they pass through unmasked.
 */
const requestErrorCodes = new Set<string>([
  'GRAPHQL_PARSE_FAILED',
  ErrorCode.GRAPHQL_VALIDATION_FAILED,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.BAD_REQUEST,
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * Apollo Server's formatError: our own errors and request errors keep their message and code;
 * anything else (a driver error, a bug) is logged here and reaches the client as a bare
 * INTERNAL_SERVER_ERROR, with no stack, driver text or internal path.
 */
export function createErrorFormatter(log: (message: string, error: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof UsageGraphError) {
      return { message: original.message, path: formatted.path, extensions: { ...original.extensions } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && requestErrorCodes.has(code)) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    log('unexpected error', original);
    return {
      message: 'Internal server error',
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
