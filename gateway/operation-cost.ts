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
  /** Selections walked: each selection of the document once at most, whatever the spreads. */
  visits: number;
}

interface Measure {
  /** Field levels below the selection set's own. */
  depth: number;
  cost: number;
  aliases: number;
}

/**
 * How deep selections may nest (fields and inline fragments) before the walk stops: far past any
 * GRAPHQL_MAX_DEPTH, and shallow enough that the walk's own recursion stays small.
 */
export const maxNesting = 200;

/** The fragments each fragment spreads, found without recursion. */
function spreadsOf(fragment: FragmentDefinitionNode): string[] {
  const names: string[] = [];
  const pending: SelectionSetNode[] = [fragment.selectionSet];
  for (let set = pending.pop(); set; set = pending.pop()) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) names.push(selection.name.value);
      else if (selection.selectionSet) pending.push(selection.selectionSet);
    }
  }
  return names;
}

/**
 * The fragments in an order where each comes after every fragment it spreads (an iterative depth-first
 * search, so a chain of thousands of fragments needs no deep recursion). A fragment on a cycle, which
 * validation refuses before this runs, is left out and counts nothing.
 */
function dependencyOrder(fragments: Map<string, FragmentDefinitionNode>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  for (const start of fragments.keys()) {
    if (state.has(start)) continue;
    const stack: { name: string; next: string[] }[] = [{ name: start, next: spreadsOf(fragments.get(start)!) }];
    state.set(start, 'open');
    while (stack.length) {
      const top = stack.at(-1)!;
      const child = top.next.pop();
      if (child === undefined) {
        stack.pop();
        state.set(top.name, 'done');
        order.push(top.name);
      } else if (!state.has(child) && fragments.has(child)) {
        state.set(child, 'open');
        stack.push({ name: child, next: spreadsOf(fragments.get(child)!) });
      }
    }
  }
  return order;
}

/**
 * Measures one operation of a validated document, fragments included (each spread counted where it
 * is used, so a fragment spread 100 times costs 100 times). A paged field (one with a `limit`
 * argument) multiplies its selection by the limit asked for (at most the maximum page size), or by
 * the default page size.
 *
 * In time linear in the document's size: each fragment is measured once, after the fragments it
 * spreads, and its measure reused at every spread (its type condition fixes what it selects; its
 * depth is relative). Walking each spread again was exponential: 22 fragments each spreading the next
 * twice, 900 bytes, held the gateway's event loop for seconds, and a chain of 3,000 ran it out of
 * memory. Nesting past `maxNesting` is not walked: the depth reported is then maxNesting + 1.
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
  const measured = new Map<string, Measure>();
  const nothing: Measure = { depth: 0, cost: 0, aliases: 0 };
  let visits = 0;

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, nesting: number): Measure => {
    if (nesting > maxNesting) return { depth: maxNesting + 1, cost: 0, aliases: 0 };
    let depth = 0;
    let cost = 0;
    let aliases = 0;
    for (const selection of selectionSet.selections) {
      visits++;
      let inner: Measure;
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
        depth = Math.max(depth, 1);
        if (!selection.selectionSet) continue;
        const limitArgument = selection.arguments?.find((a) => a.name.value === 'limit');
        const paged = field.args.some((a) => a.name === 'limit');
        const asked = limitArgument ? Number(valueFromASTUntyped(limitArgument.value, variables ?? undefined)) : NaN;
        // A limit over the maximum page size is refused by the subgraph (BAD_USER_INPUT, which says
        // why); counted here as the largest page, so that refusal is the one the client sees.
        const times = paged ? (Number.isFinite(asked) && asked > 0 ? Math.min(asked, pageSize.maxSize) : pageSize.defaultSize) : 1;
        const below = walk(selection.selectionSet, getNamedType(field.type) as GraphQLCompositeType, nesting + 1);
        inner = { depth: 1 + below.depth, cost: times * below.cost, aliases: below.aliases };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType | undefined) : parent;
        inner = walk(selection.selectionSet, type ?? parent, nesting + 1);
      } else {
        inner = measured.get(selection.name.value) ?? nothing;
      }
      depth = Math.max(depth, inner.depth);
      cost += inner.cost;
      aliases += inner.aliases;
    }
    return { depth, cost, aliases };
  };

  for (const name of dependencyOrder(fragments)) {
    const fragment = fragments.get(name)!;
    const type = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined;
    measured.set(name, walk(fragment.selectionSet, type ?? root, 0));
  }
  const { depth, cost, aliases } = walk(operation.selectionSet, root, 0);
  // A chain of doubling spreads costs 2^n: past the largest exact integer it is only "too much".
  return {
    depth: Math.min(depth, maxNesting + 1),
    aliases: Math.min(aliases, Number.MAX_SAFE_INTEGER),
    cost: Math.min(cost, Number.MAX_SAFE_INTEGER),
    visits,
  };
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
