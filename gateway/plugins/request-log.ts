import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Logger } from '../../platform/logger.js';
import { logRequest } from '../../platform/request-log.js';
import type { CallerContext } from './authentication.js';

/** One log line per GraphQL operation the gateway executes (platform/request-log.ts): name, type, tenant, outcome, duration. */
export function useRequestLog(log: Logger): GatewayPlugin {
  return {
    onExecute({ args }: { args: { document: DocumentNode; operationName?: string | null; contextValue: object } }) {
      const start = performance.now();
      const ast = getOperationAST(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          const failed = !(Symbol.asyncIterator in Object(result)) && Boolean((result as ExecutionResult).errors?.length);
          logRequest(log, {
            operation: ast?.name?.value ?? 'anonymous',
            type: ast?.operation ?? 'unknown',
            tenant: (args.contextValue as CallerContext).caller?.tenant,
            status: failed ? 'error' : 'ok',
            durationMs: performance.now() - start,
          });
        },
      };
    },
  };
}
