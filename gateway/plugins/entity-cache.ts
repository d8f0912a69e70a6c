import { createHash } from 'node:crypto';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError, Kind, OperationTypeNode, print, type DocumentNode, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import type { RequestCaller } from '../../platform/caller.js';
import { entityKey, type EntityCache, type Eviction } from '../entity-cache.js';
import type { CallerContext } from './authentication.js';

/** Subgraphs whose entities are reference data, changed only by mutations to them (docs/architecture.md, "The gateway"). */
export const referenceSubgraphs = new Set(['party', 'specification']);

interface EntityFetch {
  /** The response key of the `_entities` field (its alias, if the planner gave one). */
  responseKey: string;
  /** The variable holding the representations. */
  variable: string;
  /** What is asked of each entity: a digest of the whole document (keys stay short in memory). */
  selection: string;
}

type Representation = { __typename: string; id: string };

/** What a subgraph request's document is to the cache: a change, an entity fetch it can serve, or neither. */
type DocumentKind = 'mutation' | EntityFetch | null;

const kinds = new WeakMap<DocumentNode, DocumentKind>();

/** Worked out once per document (plans, and so their documents, are reused from request to request). */
function kindOf(document: DocumentNode): DocumentKind {
  let kind = kinds.get(document);
  if (kind === undefined) kinds.set(document, (kind = classify(document)));
  return kind;
}

/** An entity fetch is a document that is nothing else: one query with one `_entities(representations: $var)`. */
function classify(document: DocumentNode): DocumentKind {
  if (document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === OperationTypeNode.MUTATION)) return 'mutation';
  const [operation, ...rest] = document.definitions;
  const field =
    operation?.kind === Kind.OPERATION_DEFINITION && operation.selectionSet.selections.length === 1 ? operation.selectionSet.selections[0] : undefined;
  if (
    !rest.length &&
    (operation as OperationDefinitionNode).operation === OperationTypeNode.QUERY &&
    field?.kind === Kind.FIELD &&
    field.name.value === '_entities'
  ) {
    const argument = field.arguments?.length === 1 ? field.arguments[0] : undefined;
    if (argument?.name.value === 'representations' && argument.value.kind === Kind.VARIABLE) {
      return {
        responseKey: field.alias?.value ?? '_entities',
        variable: argument.value.name.value,
        selection: createHash('sha256').update(print(document)).digest('base64url'),
      };
    }
  }
  return null;
}

/** Only `{ __typename, id }` representations name an entity by id alone; others carry more (@requires). */
function plainRepresentations(value: unknown): Representation[] | null {
  if (!Array.isArray(value)) return null;
  for (const r of value as unknown[]) {
    if (
      typeof r !== 'object' ||
      r === null ||
      !('__typename' in r) ||
      typeof r.__typename !== 'string' ||
      !('id' in r) ||
      typeof r.id !== 'string' ||
      Object.keys(r).length !== 2
    )
      return null;
  }
  return value as Representation[];
}

/**
 * Serves entity fetches to the reference subgraphs from the EntityCache and asks the subgraph only
 * for the entities it lacks; evicts a tenant's entities of a subgraph when a mutation goes to it.
 * Every other subgraph request (usages, root fields, mutations, subscriptions) passes untouched.
 */
export function useEntityCache(cache: EntityCache, evict: (eviction: Eviction) => void): GatewayPlugin<CallerContext> {
  return {
    onSubgraphExecute({ subgraphName, executionRequest, executor, setExecutor }) {
      if (!referenceSubgraphs.has(subgraphName)) return;
      const caller = (executionRequest.context as CallerContext | undefined)?.caller;
      if (!caller) return;
      const scope: Eviction = { tenant: caller.tenant, subgraph: subgraphName };
      const shape = kindOf(executionRequest.document);
      if (shape === 'mutation') {
        // Before (reads in flight then store nothing) and after (the change is done) the mutation.
        evict(scope);
        return () => evict(scope);
      }
      const representations = shape && plainRepresentations((executionRequest.variables as Record<string, unknown> | undefined)?.[shape.variable]);
      if (!shape || !representations || !representations.length) return;
      type Executor = Parameters<typeof setExecutor>[0];
      setExecutor((async (request: Parameters<Executor>[0]) => {
        const scopes = scopesKey(caller);
        const keys = representations.map((r) => entityKey(scope, scopes, shape.selection, r.__typename, r.id));
        const cached = keys.map((key) => cache.get(key));
        const missing = cached.flatMap((json, i) => (json === undefined ? [i] : []));
        const entities: unknown[] = cached.map((json) => (json === undefined ? null : (JSON.parse(json) as unknown)));
        if (!missing.length) return { data: { [shape.responseKey]: entities } };

        const generation = cache.generation(scope.tenant, scope.subgraph);
        const result = (await executor({
          ...request,
          variables: { ...request.variables, [shape.variable]: missing.map((i) => representations[i]) },
        })) as ExecutionResult;
        const fetched = result.data?.[shape.responseKey];
        if (!Array.isArray(fetched) || fetched.length !== missing.length) return result;
        missing.forEach((at, k) => {
          entities[at] = fetched[k];
          // Only what came back clean: an entity with an error on any of its fields is not stored.
          if (!result.errors?.length && fetched[k] !== null) cache.set(keys[at]!, JSON.stringify(fetched[k]), scope, generation);
        });
        return {
          ...result,
          data: { ...(result.data as object), [shape.responseKey]: entities },
          ...(result.errors ? { errors: result.errors.map((error) => atOriginalIndex(error, shape.responseKey, missing)) } : {}),
        };
      }) as Executor);
    },
  };
}

/** Callers with different scopes may be shown different fields; they never share an entry. */
function scopesKey(caller: RequestCaller): string {
  return [...caller.scopes].sort().join(' ');
}

/** An error about the k-th entity asked for is about the missing[k]-th entity of the whole request. */
function atOriginalIndex(error: GraphQLError, responseKey: string, missing: number[]): GraphQLError {
  const path = error.path;
  if (!path || path[0] !== responseKey || typeof path[1] !== 'number' || missing[path[1]] === undefined) return error;
  const { nodes, source, positions, originalError, extensions } = error;
  return new GraphQLError(error.message, { nodes, source, positions, originalError, extensions, path: [responseKey, missing[path[1]]!, ...path.slice(2)] });
}
