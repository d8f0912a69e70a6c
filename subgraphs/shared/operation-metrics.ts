import type { ApolloServerPlugin } from '@apollo/server';
import { secondsSince, type Metrics } from '../../platform/metrics.js';
import { operationNameOf } from './operation-name.js';

/** Operation names come from the gateway's plans and the clients: past this many, the rest count as `other`. */
const maxOperationNames = 200;

/**
 * A subgraph's operations by name and outcome, with their durations, and its errors by code
 * (`extensions.code`, the one vocabulary of platform/errors.ts). The gateway's subgraph requests are
 * anonymous: an operation without a name is named by its first root field (`productUsages`, `_entities`).
 */
export function operationMetrics(metrics: Metrics): ApolloServerPlugin {
  const operations = metrics.histogram('usage_graph_subgraph_operation_duration_seconds', 'GraphQL operations this subgraph ran, by name and outcome.', [
    'operation',
    'outcome',
  ]);
  const errors = metrics.counter('usage_graph_subgraph_errors_total', 'Errors this subgraph answered, by code.', ['code']);
  const names = new Set<string>();
  const nameOf = (name: string) => {
    if (names.has(name)) return name;
    if (names.size >= maxOperationNames) return 'other';
    names.add(name);
    return name;
  };
  return {
    async requestDidStart() {
      const start = performance.now();
      return {
        async willSendResponse({ operation, operationName, errors: failed }) {
          const name = operationNameOf(operation, operationName);
          operations.observe({ operation: nameOf(name), outcome: failed?.length ? 'error' : 'ok' }, secondsSince(start));
          for (const error of failed ?? []) errors.inc({ code: typeof error.extensions.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR' });
        },
      };
    },
  };
}
