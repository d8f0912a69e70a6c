import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import type { Logger } from '../../platform/logger.js';
import { logRequest } from '../../platform/request-log.js';

/** One log line per operation a subgraph runs (platform/request-log.ts); anonymous ones by their first root field. */
export function requestLog(log: Logger): ApolloServerPlugin<{ tenant?: string }> {
  return {
    async requestDidStart() {
      const start = performance.now();
      return {
        async willSendResponse({ operation, operationName, errors, contextValue }) {
          const root = operation?.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
          logRequest(log, {
            operation: operationName ?? (root && 'name' in root ? root.name.value : 'anonymous'),
            type: operation?.operation ?? 'unknown',
            tenant: contextValue.tenant,
            status: errors?.length ? 'error' : 'ok',
            durationMs: performance.now() - start,
          });
        },
      };
    },
  };
}
