import { parse, type DocumentNode } from 'graphql';
import { CloseCode, type ServerOptions } from 'graphql-ws';
import type { RequestCaller } from '../platform/caller.js';
import type { VerifyToken } from '../platform/token-verifier.js';
import { forbidden, unauthenticated } from './plugins/authorization.js';
import { missingScope } from './scopes.js';
import { TokenError } from '../platform/token-verifier.js';
import type { SocketExtra } from './websocket.js';

/** What an authenticated socket carries beside graphql-ws's own extra. */
export interface AuthenticatedExtra extends SocketExtra {
  caller?: RequestCaller;
}

/** Timers run for at most 2^31-1 ms. */
const maxTimer = 2_147_483_647;

/**
 * Websocket authentication, in graphql-ws's own close codes: the token comes in the
 * connection_init payload (`{"authorization": "Bearer <jwt>"}`, what browsers can send) or the
 * upgrade request's Authorization header. A missing or bad token closes the socket with 4401; a
 * subscribe the token's scopes do not cover closes it with 4403. The socket closes with 4401 when
 * the token expires, so a connection never outlives its credential.
 */
export function withWebSocketAuth<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, AuthenticatedExtra>,
  verify: VerifyToken,
): ServerOptions<P, AuthenticatedExtra> {
  return {
    ...options,
    async onConnect(ctx) {
      const params = (ctx.connectionParams ?? {}) as Record<string, unknown>;
      const fromParams = params.authorization ?? params.Authorization;
      const authorization = typeof fromParams === 'string' ? fromParams : ctx.extra.request.headers.authorization;
      try {
        const { caller, expiresAt } = await verify(authorization);
        ctx.extra.caller = caller;
        if (expiresAt !== undefined) {
          const timer = setTimeout(
            () => ctx.extra.socket.close(CloseCode.Unauthorized, 'Token expired'),
            Math.min(maxTimer, Math.max(0, expiresAt * 1000 - Date.now())),
          );
          timer.unref();
          ctx.extra.socket.once('close', () => clearTimeout(timer));
        }
        return true;
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        ctx.extra.socket.close(CloseCode.Unauthorized, error.message.slice(0, 120));
        return false;
      }
    },
    onSubscribe(ctx, id, payload) {
      const caller = ctx.extra.caller;
      let document: DocumentNode | undefined;
      try {
        document = parse(payload.query);
      } catch {
        // The runtime reports the syntax error in the protocol's own shape.
      }
      const scope = caller && document ? missingScope(document, payload.operationName, caller) : null;
      if (!caller || scope) {
        ctx.extra.socket.close(caller ? CloseCode.Forbidden : CloseCode.Unauthorized, caller ? `Forbidden: needs scope ${scope}` : 'Unauthorized');
        // graphql-ws wants errors to report; the socket is closing, so nobody reads them.
        return [caller ? forbidden(scope!) : unauthenticated()];
      }
      return options.onSubscribe?.(ctx, id, payload);
    },
  };
}
