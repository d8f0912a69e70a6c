import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Db } from 'mongodb';
import { WebSocketServer } from 'ws';
import type { RequestCaller } from '../../platform/caller.js';
import { createErrorFormatter, ErrorCode } from '../../platform/errors.js';
import { refusal, sendRefusal } from '../../platform/error-response.js';
import { verifyCaller } from '../../platform/internal-signature.js';
import { defaultHttpLimits, httpServerOptions, type HttpLimits } from '../../platform/config.js';
import type { Logger } from '../../platform/logger.js';
import { readinessOf, readinessResponse } from '../../platform/readiness.js';
import type { SubgraphName } from '../../platform/subgraphs.js';
import { metricsListener, type Metrics } from '../../platform/metrics.js';
import type { VerifyToken } from '../../platform/token-verifier.js';
import { compiledResolvers, jitExecution } from './jit-execution.js';
import { operationMetrics } from './operation-metrics.js';
import { contextOf, inServerSpan, tracerFor } from '../../platform/tracing.js';
import { requestLog } from './request-log.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** schema/<name>.graphql: the single source of each subgraph's types. */
export function loadTypeDefs(name: SubgraphName): DocumentNode {
  return parse(readFileSync(path.join(root, 'schema', `${name}.graphql`), 'utf8'));
}

export type { SubgraphName };

export interface SubgraphDefinition<TContext extends object> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  /**
   * Called once per HTTP request or websocket operation with the caller verified from the gateway's
   * signature: it builds that tenant's repositories (and the DataLoaders over them), so no resolver
   * reaches another tenant's data. The caller's `tenant`, `subject` and `scopes` are added to what it returns.
   */
  createContext(caller: RequestCaller): Omit<TContext, keyof RequestCaller>;
  /** Non-GraphQL routes of this subgraph (answers true when it handled the request); only reached with a valid signature. */
  handleHttp?(req: IncomingMessage, res: ServerResponse, url: URL, caller: RequestCaller): Promise<boolean>;
  /** Called when the subgraph stops (background work to finish). */
  close?(): Promise<void>;
  /**
   * Root query fields whose answers are lists of thousands of objects, executed by graphql-jit
   * (jit-execution.ts); their resolvers are wrapped in `oncePerRequest` here.
   */
  compiledFields?: readonly string[];
  /** Serve GraphQL subscriptions over graphql-ws on the same path (the gateway connects to it). */
  subscriptions?: boolean;
  /** Registers the subgraph's own series (backlogs, jobs) on its metrics (platform/metrics.ts). */
  registerMetrics?(metrics: Metrics): void;
}

export interface RunningSubgraph {
  name: SubgraphName;
  /** The GraphQL endpoint, for example http://127.0.0.1:4001/graphql. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  port: number;
  bodyLimitBytes: number;
  /** The key the gateway signs callers with, and how old a signature may be (docs/security.md). */
  internalAuth: { secret: string; maxAgeSeconds: number };
  logger: Logger;
  /** The subgraph's database: /readyz answers 503 while it does not answer a ping. */
  db: Db;
  /** Connection cap and HTTP timeouts (config.http; default defaultHttpLimits). */
  http?: HttpLimits;
  /** GET /metrics: the process's series, to a client token with the metrics scope (none without: a subgraph a test starts alone). */
  metrics?: { metrics: Metrics; verify: VerifyToken };
}

export async function startSubgraph<TContext extends object>(definition: SubgraphDefinition<TContext>, options: ListenOptions): Promise<RunningSubgraph> {
  const log = options.logger.child(definition.name);
  const resolvers = definition.compiledFields?.length ? compiledResolvers(definition.resolvers, definition.compiledFields) : definition.resolvers;
  const schema = buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }]);
  const apollo = new ApolloServer<TContext>({
    schema,
    includeStacktraceInErrorResponses: false,
    // Federated tracing (ftv1) is for Apollo's usage reporting, which this gateway does not consume.
    // Cache-control hints neither (no @cacheControl, no response cache): the default plugin's
    // willResolveField wraps every field resolver, about 30 ms of a 30-day hourly meter's 21,000 rows.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      requestLog(log),
      ...(definition.compiledFields?.length ? [jitExecution<TContext>(schema, new Set(definition.compiledFields))] : []),
      ...(options.metrics ? [operationMetrics(options.metrics.metrics)] : []),
    ],
    formatError: createErrorFormatter((message, error) => log.error(message, error)),
  });
  await apollo.start();

  // Idle keep-alive connections (HTTP_KEEPALIVE_TIMEOUT_MS, 75 s) outlive the gateway's, so the
  // gateway closes them first: a server closing one just as the gateway reuses it resets a request
  // (found by tests/integration/hostile.test.ts). Silent or unfinished requests are answered 408 and
  // closed; connections past HTTP_MAX_CONNECTIONS are closed at once (docs/security.md, "Limits").
  const limits = options.http ?? defaultHttpLimits;
  if (options.metrics) definition.registerMetrics?.(options.metrics.metrics);
  const serveMetrics = options.metrics && metricsListener(options.metrics.metrics, options.metrics.verify);
  const tracer = tracerFor(definition.name);
  const server = createServer(httpServerOptions(limits), (req, res) => {
    // A server span continuing the gateway's trace (platform/tracing.ts); database calls are its children.
    inServerSpan(tracer, `${req.method ?? 'GET'} ${req.url?.split('?')[0] ?? '/'}`, contextOf(req.headers), () => handle(req, res)).catch((error: unknown) => {
      log.error('request failed', error);
      if (!res.headersSent) sendRefusal(res, refusal(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error'));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://subgraph');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    // The operator's scrape: a client token (not the gateway's signature) with the metrics scope.
    if (serveMetrics && (await serveMetrics(req, res))) return;
    if (url.pathname === '/readyz') {
      const { status, body } = readinessResponse(await readinessOf({ database: () => options.db.command({ ping: 1 }) }, () => 'the database'));
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
      return;
    }
    // Only the gateway may call a subgraph: it verified the client and signed who is calling.
    const check = verifyCaller(options.internalAuth.secret, req.headers, options.internalAuth.maxAgeSeconds);
    if ('refused' in check) {
      log.warn(`refused a request without the gateway's signature (${check.refused})`);
      return sendRefusal(res, refusal(ErrorCode.UNAUTHENTICATED, 'This service answers only the gateway.'));
    }
    const { caller } = check;
    if (url.pathname !== '/graphql') {
      if (definition.handleHttp && (await definition.handleHttp(req, res, url, caller))) return;
      return sendRefusal(res, refusal(ErrorCode.NOT_FOUND, `No route ${url.pathname}.`));
    }

    const raw = await readBody(req, options.bodyLimitBytes);
    if (raw === null) {
      return sendRefusal(res, refusal(ErrorCode.PAYLOAD_TOO_LARGE, `Request body exceeds ${options.bodyLimitBytes} bytes.`));
    }
    let body: unknown = undefined;
    if (raw.length > 0 && (req.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(raw);
      } catch {
        return sendRefusal(res, refusal(ErrorCode.BAD_USER_INPUT, 'Request body is not valid JSON.'));
      }
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => ({ ...definition.createContext(caller), ...caller }) as TContext,
    });
    res.statusCode = response.status ?? 200;
    for (const [key, value] of response.headers) res.setHeader(key, value);
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  const formatError = createErrorFormatter((message, error) => log.error(message, error));
  const callers = new WeakMap<object, RequestCaller>();
  const sockets = definition.subscriptions ? new WebSocketServer({ server, path: '/graphql' }) : undefined;
  const ws = sockets
    ? useServer<Record<string, unknown>>(
        {
          schema,
          // The gateway signs the caller into connection_init; the connection serves that caller only.
          onConnect: (ctx) => {
            const check = verifyCaller(options.internalAuth.secret, ctx.connectionParams ?? {}, options.internalAuth.maxAgeSeconds);
            if ('refused' in check) {
              log.warn(`refused a websocket without the gateway's signature (${check.refused})`);
              ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
              return false;
            }
            callers.set(ctx.extra.socket, check.caller);
            return true;
          },
          context: (ctx) => {
            const caller = callers.get(ctx.extra.socket)!;
            return { ...definition.createContext(caller), ...caller };
          },
          // Subscription errors get the same masking as HTTP responses.
          onNext: (_ctx, _id, _payload, _args, result) =>
            result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : undefined,
        },
        sockets,
      )
    : undefined;

  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    name: definition.name,
    url: `http://${host}:${port}/graphql`,
    server,
    async close() {
      // Open subscriptions end with "going away", so the gateway tells its clients cleanly.
      for (const client of sockets?.clients ?? []) client.close(1001, 'Going away');
      await ws?.dispose();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await apollo.stop();
      await definition.close?.();
    },
  };
}

/** The body as text, or null when it is larger than the limit (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
