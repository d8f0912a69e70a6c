import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { signCaller } from '../../subgraphs/shared/internal-signature.js';
import type { CallerContext } from './authentication.js';

/** The signed caller as the websocket transport's connection params read it (see upstreamConnectionParams). */
export interface UpstreamAuthContext {
  upstreamAuth?: Record<string, string>;
}

/**
 * Signs the caller into every request the gateway sends to a subgraph (subgraphs/shared/
 * internal-signature.ts): HTTP requests get the headers here; subscriptions to the usage subgraph
 * travel over graphql-ws, whose connection params are filled from `context.upstreamAuth`.
 */
export function useUpstreamSignature(secret: string): GatewayPlugin<CallerContext & UpstreamAuthContext> {
  return {
    onContextBuilding({ context, extendContext }) {
      if (context.caller) extendContext({ upstreamAuth: signCaller(secret, context.caller) });
    },
    onFetch({ context, options, setOptions }) {
      const caller = (context as CallerContext | undefined)?.caller;
      if (!caller) return;
      setOptions({ ...options, headers: { ...(options.headers as Record<string, string>), ...signCaller(secret, caller) } });
    },
  };
}

/**
 * graphql-ws connection params for the transport entry: each names a value of `context.upstreamAuth`
 * (the runtime interpolates them per subscription; subscriptions with the same signed caller in the
 * same second share one upstream connection, and no two callers ever share one).
 */
export function upstreamConnectionParams(headerNames: readonly string[]): Record<string, string> {
  return Object.fromEntries(headerNames.map((name) => [name, `{context.upstreamAuth.${name}}`]));
}
