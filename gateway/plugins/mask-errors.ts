import { GraphQLError } from 'graphql';
import { ErrorCode, httpError, UsageGraphError, type ErrorLocation } from '../../platform/errors.js';

/**
 * The gateway's error policy (the runtime's `maskedErrors.maskError`).
 *
 * - An error carrying one of our client-facing codes (from a subgraph, or a request error of the
 *   gateway's own) keeps its message and code; everything else in its extensions (stack traces,
 *   serviceName, subgraph request details) is dropped.
 * - The runtime's own variable-coercion errors (a bad enum value or wrong type in variables) carry
 *   no code and no path: they are the client's fault, so BAD_USER_INPUT with status 400.
 * - A subgraph the runtime could not reach is SERVICE_UNAVAILABLE (503): our fault, not the client's,
 *   and worth a retry. The message names the subgraph and nothing else of the upstream error. (One
 *   that does not answer within SUBGRAPH_TIMEOUT_MS is GATEWAY_TIMEOUT from plugins/upstream-timeout.ts.)
 * - Anything else is INTERNAL_SERVER_ERROR with a generic message.
 *
 * GRAPHQL_VALIDATION_FAILED errors never reach this function: the runtime returns them as they are.
 */
export const clientFacing = new Set<string>([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL_SERVER_ERROR),
  'GRAPHQL_PARSE_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
]);

/**
 * The runtime's codes for an upstream it could not reach (@graphql-tools/executor-http). A subgraph
 * that does not answer in time is answered by plugins/upstream-timeout.ts, already in our words.
 */
const unreachable = new Set(['SUBREQUEST_HTTP_ERROR', 'DOWNSTREAM_SERVICE_ERROR']);

const subgraphOf = (extensions: Record<string, unknown> | undefined): string => {
  const name = extensions?.serviceName ?? extensions?.subgraphName;
  return typeof name === 'string' && /^[a-z][a-z0-9-]*$/i.test(name) ? `The ${name} service` : 'A service behind the gateway';
};

export function maskError(error: unknown, genericMessage: string): Error {
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  const location: ErrorLocation = {
    nodes: graphqlError?.nodes,
    source: graphqlError?.source,
    positions: graphqlError?.positions,
    path: graphqlError?.path,
  };
  const code = graphqlError?.extensions?.code;
  const http = graphqlError?.extensions?.http;
  // The runtime's own upstream errors carry the subgraph request they were about; a subgraph's errors
  // (its database timing out, say) carry none and keep their message below. A subscription whose
  // subgraph went away (its stream cut, found by the soak: bench/RESULTS.md) ends with the code, the
  // subgraph's name and no message at all.
  const cut = code === 'DOWNSTREAM_SERVICE_ERROR' && graphqlError?.message === '';
  if (graphqlError && typeof code === 'string' && unreachable.has(code) && (graphqlError.extensions.request || cut)) {
    return httpError(ErrorCode.SERVICE_UNAVAILABLE, `${subgraphOf(graphqlError.extensions)} is unavailable; try again shortly.`, { location });
  }
  // A copy, not one of ours: the code may be graphql-js's, and the status is whatever the error had.
  if (graphqlError && typeof code === 'string' && clientFacing.has(code)) {
    return new GraphQLError(graphqlError.message, { ...location, extensions: { code, ...(http ? { http } : {}) } });
  }
  const original = graphqlError?.originalError;
  // The JavaScript planner marks them with an HTTP status; the Rust planner's executor coerces
  // variables with graphql-js too but leaves the status off, so its message names them. Either way the
  // status is BAD_USER_INPUT's, 400: the only thing @graphql-tools/executor puts in `http` for them.
  const coercion = graphqlError && code === undefined && !graphqlError.path && (!original || original instanceof GraphQLError);
  if (coercion && (http || graphqlError.message.startsWith('Variable "$'))) {
    return httpError(ErrorCode.BAD_USER_INPUT, graphqlError.message, { location });
  }
  // No `http`: the runtime answers 500 only for results without data. `unexpected` is never serialized.
  return new UsageGraphError(ErrorCode.INTERNAL_SERVER_ERROR, genericMessage, { unexpected: true }, location);
}
