import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

/**
 * The project's one error vocabulary. Every error a client sees carries one of these codes in
 * `extensions.code`; the REST facade maps them through a single table to TMF error bodies.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
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

/** HTTP status each code stands for, for transports that speak HTTP status. */
export const httpStatusOf: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
};

export class UsageGraphError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message, { extensions: { code, ...details } });
    this.code = code;
  }
}

export const badUserInput = (message: string, field?: string) => new UsageGraphError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : undefined);

export const notFound = (type: string, id: string) => new UsageGraphError(ErrorCode.NOT_FOUND, `No ${type} with id "${id}".`, { type, id });

export const conflict = (message: string) => new UsageGraphError(ErrorCode.CONFLICT, message);

/** 429 with Retry-After, also when it travels through the gateway (which keeps `http`). */
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new UsageGraphError(ErrorCode.TOO_MANY_REQUESTS, message, {
    http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } },
  });

export const serviceUnavailable = (message: string) => new UsageGraphError(ErrorCode.SERVICE_UNAVAILABLE, message);

export const gatewayTimeout = (message: string) => new UsageGraphError(ErrorCode.GATEWAY_TIMEOUT, message);

/**
 * Codes that graphql-js and Apollo Server attach to request errors (parse, validation, variable
 * coercion). They describe the client's request, so they pass through unmasked.
 */
const requestErrorCodes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
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
