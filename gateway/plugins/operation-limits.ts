import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
import { ErrorCode, httpError } from '../../platform/errors.js';
import { cachedMeasure, maxNesting } from '../operation-cost.js';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  /** The page size a paged field without `limit` returns, and the largest one it may ask for. */
  pageSize: { defaultSize: number; maxSize: number };
}

const refused = (message: string) => httpError(ErrorCode.GRAPHQL_VALIDATION_FAILED, message);

/**
 * GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_ALIASES and GRAPHQL_MAX_COST for every operation, HTTP and
 * websocket, before anything runs. Measured at execution rather than validation because the cost
 * depends on `limit` values that may come in variables (gateway/operation-cost.ts says how).
 */
export function useOperationLimits(limits: OperationLimits): GatewayPlugin {
  const measureOperation = cachedMeasure();
  const check = ({
    args,
    setResultAndStopExecution,
  }: {
    args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: Record<string, unknown> | null };
    setResultAndStopExecution(result: { errors: GraphQLError[] }): void;
  }) => {
    const measure = measureOperation(args.schema, args.document, args.operationName, args.variableValues, limits.pageSize);
    if (!measure) return;
    if (measure.depth > limits.maxDepth) {
      const deep = measure.depth > maxNesting ? `more than ${maxNesting}` : String(measure.depth);
      return setResultAndStopExecution({ errors: [refused(`The operation is ${deep} fields deep; at most ${limits.maxDepth} are allowed.`)] });
    }
    if (measure.aliases > limits.maxAliases) {
      return setResultAndStopExecution({ errors: [refused(`The operation uses ${measure.aliases} aliases; at most ${limits.maxAliases} are allowed.`)] });
    }
    if (measure.cost > limits.maxCost) {
      return setResultAndStopExecution({
        errors: [refused(`The operation may resolve ${measure.cost} fields; at most ${limits.maxCost} are allowed. Ask for smaller pages or fewer fields.`)],
      });
    }
  };
  return { onExecute: check, onSubscribe: check };
}
