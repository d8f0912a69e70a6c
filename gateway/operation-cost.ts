import {
  getNamedType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromASTUntyped,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type GraphQLCompositeType,
} from 'graphql';

export interface OperationMeasure {
  /** Deepest field nesting (introspection fields not counted: GraphiQL's own query is deep). */
  depth: number;
  aliases: number;
  /** Fields the operation may resolve: each field 1, a paged field's selection times its `limit`. */
  cost: number;
}

/**
 * Measures one operation of a validated document, fragments included (each spread counted where it
 * is used, so a fragment spread 100 times costs 100 times). A paged field (one with a `limit`
 * argument) multiplies its selection by the limit asked for (at most the maximum page size), or by
 * the default page size.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  pageSize: { defaultSize: number; maxSize: number },
): OperationMeasure | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return null;
  const root = schema.getRootType(operation.operation);
  if (!root) return null;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  let aliases = 0;

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, level: number, path: Set<string>): { depth: number; cost: number } => {
    let depth = level;
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases++;
        const name = selection.name.value;
        if (name.startsWith('__')) {
          cost += 1;
          continue;
        }
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        if (!field) continue;
        cost += 1;
        depth = Math.max(depth, level + 1);
        if (!selection.selectionSet) continue;
        const limitArgument = selection.arguments?.find((a) => a.name.value === 'limit');
        const paged = field.args.some((a) => a.name === 'limit');
        const asked = limitArgument ? Number(valueFromASTUntyped(limitArgument.value, variables ?? undefined)) : NaN;
        // A limit over the maximum page size is refused by the subgraph (BAD_USER_INPUT, which says
        // why); counted here as the largest page, so that refusal is the one the client sees.
        const times = paged ? (Number.isFinite(asked) && asked > 0 ? Math.min(asked, pageSize.maxSize) : pageSize.defaultSize) : 1;
        const inner = walk(selection.selectionSet, getNamedType(field.type) as GraphQLCompositeType, level + 1, path);
        depth = Math.max(depth, inner.depth);
        cost += times * inner.cost;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType | undefined) : parent;
        const inner = walk(selection.selectionSet, type ?? parent, level, path);
        depth = Math.max(depth, inner.depth);
        cost += inner.cost;
      } else {
        const fragment = fragments.get(selection.name.value);
        // Validation refuses fragment cycles; this guard only keeps a bad document from looping here.
        if (!fragment || path.has(fragment.name.value)) continue;
        const type = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined;
        const inner = walk(fragment.selectionSet, type ?? parent, level, new Set([...path, fragment.name.value]));
        depth = Math.max(depth, inner.depth);
        cost += inner.cost;
      }
    }
    return { depth, cost };
  };

  const { depth, cost } = walk(operation.selectionSet, root, 0, new Set());
  return { depth, aliases, cost };
}

/** Names of the variables an operation passes as a `limit` argument: the only ones a measure depends on. */
function limitVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(node) {
      if (node.name.value === 'limit' && node.value.kind === Kind.VARIABLE) names.add(node.value.name.value);
    },
  });
  return [...names];
}

const perDocumentLimit = 64;

/**
 * measureOperation remembered per schema, document, operation name and `limit` values. The runtime
 * hands the same DocumentNode for a query it has seen (its parse cache), so a client repeating an
 * operation is measured once instead of walking the document on every request.
 */
export function cachedMeasure(): typeof measureOperation {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, { limits: string[]; measures: Map<string, OperationMeasure | null> }>>();
  return (schema, document, operationName, variables, pageSize) => {
    let documents = bySchema.get(schema);
    if (!documents) bySchema.set(schema, (documents = new WeakMap()));
    let entry = documents.get(document);
    if (!entry) documents.set(document, (entry = { limits: limitVariables(document), measures: new Map() }));
    const key = `${operationName ?? ''}\u0000${entry.limits.map((name) => JSON.stringify(variables?.[name] ?? null)).join('\u0000')}`;
    if (entry.measures.has(key)) return entry.measures.get(key)!;
    const measure = measureOperation(schema, document, operationName, variables, pageSize);
    if (entry.measures.size < perDocumentLimit) entry.measures.set(key, measure);
    return measure;
  };
}
