import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { traceHeaders, tracingEnabled } from '../../platform/tracing.js';

/**
 * Each subgraph request carries the trace of the client request it serves (W3C `traceparent`,
 * platform/tracing.ts): the subgraph's span is the child of the gateway's. Nothing without tracing.
 */
export function useTracePropagation(): GatewayPlugin {
  if (!tracingEnabled()) return {};
  return {
    onFetch({ options, setOptions }) {
      const headers = traceHeaders();
      if (Object.keys(headers).length) setOptions({ ...options, headers: { ...options.headers, ...headers } });
    },
  };
}
