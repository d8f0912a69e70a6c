import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { getOperationAST, OperationTypeNode, type DocumentNode, type ExecutionResult } from 'graphql';
import { secondsSince, type Metrics } from '../../platform/metrics.js';

/** Operation names are the client's to choose: past this many distinct ones, the rest are counted as `other`. */
const maxOperationNames = 200;

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/** What the runtime's execute and subscribe hooks are given (their own types leave it `any`). */
interface OperationArgs {
  document: DocumentNode;
  operationName?: string | null;
}

const outcomeOf = (result: unknown) =>
  result && typeof result === 'object' && Symbol.asyncIterator in result ? 'ok' : (result as ExecutionResult | undefined)?.errors?.length ? 'error' : 'ok';

/**
 * The gateway's GraphQL series: operations by name, type and outcome, with their durations; each
 * subgraph request by subgraph and outcome; subscriptions started. Operation names are bounded
 * (`maxOperationNames`), so a client inventing names cannot grow the series without end.
 */
export function useMetrics(metrics: Metrics): GatewayPlugin {
  const operations = metrics.histogram('usage_graph_gateway_operation_duration_seconds', 'GraphQL operations executed, by name, type and outcome.', [
    'operation',
    'type',
    'outcome',
  ]);
  const subscriptions = metrics.counter('usage_graph_gateway_subscriptions_started_total', 'Subscriptions started, by operation name.', ['operation']);
  let live = 0;
  metrics.gauge('usage_graph_gateway_subscriptions', 'Subscriptions open now (every websocket connection).', function () {
    this.set(live);
  });
  const subgraphs = metrics.histogram('usage_graph_gateway_subgraph_request_duration_seconds', 'Requests to each subgraph, by outcome.', [
    'subgraph',
    'outcome',
  ]);
  const names = new Set<string>();
  const nameOf = (name: string | undefined) => {
    const operation = name ?? 'anonymous';
    if (names.has(operation)) return operation;
    if (names.size >= maxOperationNames) return 'other';
    names.add(operation);
    return operation;
  };
  return {
    onExecute({ args }: { args: OperationArgs }) {
      const start = performance.now();
      const ast = getOperationAST(args.document, args.operationName);
      const labels = { operation: nameOf(ast?.name?.value), type: ast?.operation ?? 'unknown' };
      return {
        onExecuteDone({ result }) {
          operations.observe({ ...labels, outcome: outcomeOf(result) }, secondsSince(start));
        },
      };
    },
    onSubscribe({ args }: { args: OperationArgs }) {
      subscriptions.inc({ operation: nameOf(getOperationAST(args.document, args.operationName)?.name?.value) });
      return {
        // Open from the stream's start to its end, whichever side ends it.
        onSubscribeResult() {
          live++;
          let ended = false;
          return {
            onEnd() {
              if (!ended) live--;
              ended = true;
            },
          };
        },
      };
    },
    onSubgraphExecute({ subgraphName, executionRequest, executor, setExecutor }) {
      // A subscription lives as long as its client: its duration says nothing about the subgraph.
      if ((executionRequest.operationType ?? getOperationAST(executionRequest.document)?.operation) === OperationTypeNode.SUBSCRIPTION) return;
      setExecutor((request) => {
        const start = performance.now();
        const answer = executor(request);
        if (!isPromiseLike(answer)) {
          subgraphs.observe({ subgraph: subgraphName, outcome: outcomeOf(answer) }, secondsSince(start));
          return answer;
        }
        return Promise.resolve(answer).then(
          (result) => {
            subgraphs.observe({ subgraph: subgraphName, outcome: outcomeOf(result) }, secondsSince(start));
            return result;
          },
          (error: unknown) => {
            subgraphs.observe({ subgraph: subgraphName, outcome: 'failed' }, secondsSince(start));
            throw error;
          },
        );
      });
    },
  };
}
