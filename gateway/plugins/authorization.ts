import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import type { GraphQLError } from 'graphql';
import { ErrorCode, httpError } from '../../platform/errors.js';
import { missingScope } from '../scopes.js';
import type { CallerContext } from './authentication.js';

/** Refusals as GraphQL errors: 401 / 403 over HTTP (GraphQL over HTTP keeps the status on the error). */
export const unauthenticated = () =>
  // RFC 6750 §3: a 401 names the scheme the client should use.
  httpError(ErrorCode.UNAUTHENTICATED, 'Authentication required: send Authorization: Bearer <token>.', { headers: { 'www-authenticate': 'Bearer' } });
export const forbidden = (scope: string) => httpError(ErrorCode.FORBIDDEN, `This operation needs the scope "${scope}", which the token does not grant.`);

/**
 * Checks the caller's scopes against the operation's root fields (gateway/scopes.ts) before anything
 * runs, for HTTP and websocket operations alike: an operation runs whole or not at all.
 * Websockets close with 4403 before it gets here (gateway/websocket-auth.ts); this is the same rule.
 */
export function useAuthorization(): GatewayPlugin<CallerContext> {
  const check = ({
    args,
    setResultAndStopExecution,
  }: {
    args: { document: import('graphql').DocumentNode; operationName?: string | null; contextValue: CallerContext };
    setResultAndStopExecution(result: { errors: GraphQLError[] }): void;
  }) => {
    const caller = args.contextValue.caller;
    if (!caller) return setResultAndStopExecution({ errors: [unauthenticated()] });
    const scope = missingScope(args.document, args.operationName, caller);
    if (scope) setResultAndStopExecution({ errors: [forbidden(scope)] });
  };
  return {
    onExecute: check,
    onSubscribe: check,
  };
}
