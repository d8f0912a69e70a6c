import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { signCaller } from '../../platform/internal-signature.js';
import type { RequestCaller } from '../../platform/caller.js';
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
  // The signature names its second: one HMAC per caller and second serves every fetch in it. A
  // long subscription's later entity fetches get a fresh one (subgraphs refuse old signatures).
  const recent = new WeakMap<RequestCaller, { second: number; headers: Record<string, string> }>();
  const sign = (caller: RequestCaller) => {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    const hit = recent.get(caller);
    if (hit?.second === second) return hit.headers;
    const headers = signCaller(secret, caller, now);
    recent.set(caller, { second, headers });
    return headers;
  };
  return {
    onContextBuilding({ context, extendContext }) {
      if (context.caller) extendContext({ upstreamAuth: sign(context.caller) });
    },
    onFetch({ context, options, setOptions }) {
      const caller = (context as CallerContext | undefined)?.caller;
      if (!caller) return;
      setOptions({ ...options, headers: { ...(options.headers as Record<string, string>), ...sign(caller) } });
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
