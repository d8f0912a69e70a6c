import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../platform/errors.js';
import { missingScope } from '../scopes.js';
import type { CallerContext } from './authentication.js';

/** Refusals as GraphQL errors: 401 / 403 over HTTP (GraphQL over HTTP keeps the status on the error). */
export const unauthenticated = () =>
  new GraphQLError('Authentication required: send Authorization: Bearer <token>.', {
    extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } },
  });
export const forbidden = (scope: string) =>
  new GraphQLError(`This operation needs the scope "${scope}", which the token does not grant.`, {
    extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } },
  });

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
