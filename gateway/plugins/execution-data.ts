import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';

/**
 * The Rust query planner (`@graphql-hive/router-runtime`) answers an operation whose non-null root
 * field failed with `{ errors }` and no `data`. The GraphQL spec says an operation that was executed
 * answers `data: null` then; without `data` a client reads a request error (the operation never ran).
 * Only executed operations reach onExecuteDone, so parse and validation errors keep their shape.
 */
export function useExecutionData(): GatewayPlugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          // A subscription's stream passes as it is.
          if (Symbol.asyncIterator in result || 'data' in result) return;
          setResult({ ...result, data: null });
        },
      };
    },
  };
}
