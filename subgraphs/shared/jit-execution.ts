import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { Kind, OperationTypeNode, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { GraphQLResolverMap } from '@apollo/subgraph';

/**
 * Compiled execution for the root query fields whose answers are lists of thousands of objects: a
 * 30-day hourly meter is about 21,000 rows, and graphql-js spent about 40 ms of each such request
 * building resolve info, paths and completions per field, and as much again in collecting what it
 * allocated (a CPU profile of the usage subgraph; bench/RESULTS.md, "Meters"). graphql-jit
 * (https://github.com/zalando-incubator/graphql-jit) compiles an operation once into a function
 * that walks the resolvers' result with no such per-field objects.
 *
 * Only a query whose root fields are all among `fields` goes this way; everything else, and every
 * answer with an error, is executed by Apollo as before. A compiled answer with errors is dropped
 * and the request executed again by Apollo, so errors are formatted, logged and counted in one
 * place (platform/errors.ts); the root resolvers of `fields` are wrapped in `oncePerRequest`
 * (`compiledResolvers`, where the subgraph server builds its schema), so that second execution gets the first one's answer or failure instead of asking the database again.
 * Apollo's plugins still see the request (`willSendResponse`), through its `responseForOperation` hook:
 * https://www.apollographql.com/docs/apollo-server/integrations/plugins-event-reference#responseforoperation
 */
export function jitExecution<TContext extends object>(schema: GraphQLSchema, fields: ReadonlySet<string>): ApolloServerPlugin<TContext> {
  // Apollo keeps one parsed document per query text (its document store), so the gateway's
  // repeated operation finds its compiled form here; a document it evicts takes it along.
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  const compiledFor = (document: DocumentNode, operation: OperationDefinitionNode): CompiledQuery | null => {
    const name = operation.name?.value ?? '';
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map<string, CompiledQuery | null>()));
    if (!byName.has(name)) {
      const query = compileQuery(schema, document, operation.name?.value);
      byName.set(name, isCompiledQuery(query) ? query : null);
    }
    return byName.get(name)!;
  };
  return {
    async requestDidStart() {
      return {
        async responseForOperation({ document, operation, contextValue, request }): Promise<GraphQLResponse | null> {
          if (operation.operation !== OperationTypeNode.QUERY || !onlyFields(operation, fields)) return null;
          const query = compiledFor(document, operation);
          if (!query) return null;
          const result = await query.query(undefined, contextValue, request.variables ?? {});
          if (result.errors?.length || !result.data) return null;
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: result.data } } };
        },
      };
    },
  };
}

/** Whether every root selection of the operation is a plain field among `fields` (no fragment, no `__typename`). */
function onlyFields(operation: OperationDefinitionNode, fields: ReadonlySet<string>): boolean {
  return operation.selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && fields.has(selection.name.value));
}

const answers = new WeakMap<object, Map<string, unknown>>();

/**
 * The resolver, called at most once per request (context) and arguments: a second call answers the
 * first call's promise. For the root fields jitExecution serves, whose answer Apollo may execute a
 * second time.
 */
export function oncePerRequest<Root, Args, Context extends object, Result>(
  resolve: (root: Root, args: Args, context: Context, info: unknown) => Result,
): (root: Root, args: Args, context: Context, info: unknown) => Result {
  return (root, args, context, info) => {
    let byArgs = answers.get(context);
    if (!byArgs) answers.set(context, (byArgs = new Map<string, unknown>()));
    const key = JSON.stringify(args);
    if (!byArgs.has(key)) byArgs.set(key, resolve(root, args, context, info));
    return byArgs.get(key) as Result;
  };
}

/**
 * `resolvers` with the Query resolvers of `fields` wrapped in `oncePerRequest`, as jitExecution needs
 * them: applied by the subgraph server to every field it compiles, so none can miss it.
 */
export function compiledResolvers<TContext>(resolvers: GraphQLResolverMap<TContext>, fields: readonly string[]): GraphQLResolverMap<TContext> {
  const query = { ...(resolvers.Query as Record<string, unknown> | undefined) };
  for (const field of fields) {
    const resolve = query[field];
    if (typeof resolve !== 'function') throw new Error(`Query.${field} is compiled (compiledFields) but has no resolver function`);
    query[field] = oncePerRequest(resolve as (root: unknown, args: unknown, context: object, info: unknown) => unknown);
  }
  return { ...resolvers, Query: query } as GraphQLResolverMap<TContext>;
}
