import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { getOperationAST, OperationTypeNode } from 'graphql';
import { ErrorCode, httpError } from '../../platform/errors.js';

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/**
 * SUBGRAPH_TIMEOUT_MS: a subgraph request that has not answered in time is aborted and the client
 * gets GATEWAY_TIMEOUT (504) naming the subgraph.
 *
 * In place of the runtime's `upstreamTimeout`, which arms an `AbortSignal.timeout` per subgraph call
 * and rejects a deferred on it that nothing awaits when the executor answers synchronously, as the
 * websocket transport does for every subscription after the first: 30 s later that rejection went
 * unhandled and ended the process (and the first subscription was completed at the timeout). Here
 * subscriptions are not timed at all (they live until the client or the subgraph ends them), a
 * synchronous answer is returned as it is, and the timer is cleared whichever way a call settles, so
 * nothing is left to reject later.
 */
export function useUpstreamTimeout(timeoutMs: number): GatewayPlugin {
  return {
    onSubgraphExecute({ subgraphName, executionRequest, executor, setExecutor }) {
      const operation = executionRequest.operationType ?? getOperationAST(executionRequest.document)?.operation;
      if (operation === OperationTypeNode.SUBSCRIPTION) return;
      setExecutor((request) => {
        const controller = new AbortController();
        const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
        const answer = executor({ ...request, signal });
        if (!isPromiseLike(answer)) return answer;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(httpError(ErrorCode.GATEWAY_TIMEOUT, `The ${subgraphName} service did not answer in time; try again.`));
          }, timeoutMs);
        });
        // Promise.race handles both: the loser's later settlement (the aborted call) is not unhandled.
        return Promise.race([answer, late]).finally(() => clearTimeout(timer));
      });
    },
  };
}
