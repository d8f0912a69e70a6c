import { Kind, type OperationDefinitionNode } from 'graphql';

/**
 * What a subgraph calls an operation in its metrics and log lines: its name, or (the gateway sends
 * its subgraph requests anonymous) its first root field, such as `productUsages` or `_entities`.
 */
export function operationNameOf(operation: OperationDefinitionNode | null | undefined, operationName: string | null | undefined): string {
  if (operationName) return operationName;
  const root = operation?.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
  return root && 'name' in root ? root.name.value : 'anonymous';
}
