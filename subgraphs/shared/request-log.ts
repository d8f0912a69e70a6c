import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../../platform/logger.js';
import { logRequest } from '../../platform/request-log.js';
import { operationNameOf } from './operation-name.js';

/** One log line per operation a subgraph runs (platform/request-log.ts); anonymous ones by their first root field. */
export function requestLog(log: Logger): ApolloServerPlugin<{ tenant?: string }> {
  return {
    async requestDidStart() {
      const start = performance.now();
      return {
        async willSendResponse({ operation, operationName, errors, contextValue }) {
          logRequest(log, {
            operation: operationNameOf(operation, operationName),
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
