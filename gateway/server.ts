import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, getGraphQLWSOptions } from '@graphql-hive/gateway-runtime';
import { WebSocketServer } from 'ws';
import { defaultHttpLimits, httpServerOptions, type GatewayTuning, type HttpLimits } from '../platform/config.js';
import type { EventBus } from '../platform/event-bus.js';
import type { Logger } from '../platform/logger.js';
import { EntityCache, shareEvictions } from './entity-cache.js';
import { useEntityCache } from './plugins/entity-cache.js';
import type { RequestCaller } from '../platform/caller.js';
import { InternalHeader } from '../platform/internal-signature.js';
import { useAuthentication } from './plugins/authentication.js';
import type { VerifyToken } from '../platform/token-verifier.js';
import { useAuthorization } from './plugins/authorization.js';
import { useConsole } from './plugins/console.js';
import { useExportDownloads } from './plugins/export-downloads.js';
import { maskError } from './plugins/mask-errors.js';
import { useExecutionData } from './plugins/execution-data.js';
import { upstreamConnectionParams, useUpstreamSignature } from './plugins/upstream-signature.js';
import { useUpstreamTimeout } from './plugins/upstream-timeout.js';
import { readinessListener } from './readiness.js';
import { exportDownloadAuthorizer } from './export-authorizer.js';
import { runtimeLogger } from './runtime-logger.js';
import { withWebSocketAuth, type AuthenticatedExtra } from './websocket-auth.js';
import { withWebSocketLimits } from './websocket-limits.js';
import { RateLimiter } from './rate-limiter.js';
import { SharedRateLimiter } from './shared-rate-limiter.js';
import { useOperationLimits, type OperationLimits } from './plugins/operation-limits.js';
import { useRateLimit } from './plugins/rate-limit.js';
import { useRequestLimits } from './plugins/request-limits.js';
import { useMetrics } from './plugins/metrics.js';
import { healthListener, subgraphsOf } from './health.js';
import { useTracePropagation } from './plugins/trace-propagation.js';
import { contextOf, inServerSpan, tracerFor } from '../platform/tracing.js';
import { metricsListener, Metrics } from '../platform/metrics.js';

export interface GatewayLimits {
  bodyLimitBytes: number;
  ratePerSecond: number;
  rateBurst: number;
  /** REDIS_URL: one rate budget per tenant for every gateway on that Redis (gateway/shared-rate-limiter.ts). */
  rateRedisUrl?: string;
  operations: OperationLimits;
  wsMaxSubscriptions: number;
  subgraphTimeoutMs: number;
}
import { serveGraphQLWs, type WebSocketLimits } from './websocket.js';
import { useRequestLog } from './plugins/request-log.js';

export interface GatewayOptions {
  supergraphSdl: string;
  host: string;
  port: number;
  /** GraphiQL at GET /graphql and the landing page: development only. */
  ide: boolean;
  /** The usage subgraph's GraphQL URL, for export downloads (GET /exports/<id>). */
  usageSubgraphUrl: string;
  /** Largest websocket message a client may send, and how much it may leave unread. */
  websocket: WebSocketLimits & { maxMessageBytes: number };
  /** Client token verification, and the key that signs the caller into subgraph requests. */
  auth: { verify: VerifyToken; internalSecret: string };
  /** Body, rate, operation, subscription and upstream limits (docs/security.md, "Limits"). */
  limits: GatewayLimits;
  /** Planner and caches (config.gateway). */
  tuning: GatewayTuning;
  /** Connection cap and HTTP timeouts (config.http; default defaultHttpLimits). */
  http?: HttpLimits;
  /** Carries entity cache evictions between gateway instances (Redis with REDIS_URL). */
  bus: EventBus;
  logger: Logger;
  /** METRICS: GET /metrics and the operation series (default on). */
  metrics?: boolean;
}

export interface RunningGateway {
  url: string;
  wsUrl: string;
  server: Server;
  /** Reference entities served from memory (tests read its hit and miss counters). */
  entityCache: EntityCache;
  /** The gateway's Prometheus series, served at GET /metrics. */
  metrics: Metrics;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The federation gateway: the Hive Gateway runtime (MIT) over the composed supergraph, with HTTP
 * and graphql-ws served on the same server and path, /healthz and /readyz beside them.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const log = options.logger.child('gateway');
  const callers = new WeakMap<Request, RequestCaller>();
  // This process's buckets: the limit without REDIS_URL; with it, what answers while Redis does not.
  // Websocket subscribes take from it either way (websocket-limits.ts asks synchronously).
  const localLimiter = new RateLimiter(options.limits.ratePerSecond, options.limits.rateBurst);
  const sharedLimiter =
    options.limits.rateRedisUrl && options.limits.ratePerSecond > 0
      ? new SharedRateLimiter({ redisUrl: options.limits.rateRedisUrl, fallback: localLimiter, logger: log.child('rate-limit') })
      : undefined;
  const entityCache = new EntityCache({ ttlMs: options.tuning.entityCache.ttlSeconds * 1000, maxEntries: options.tuning.entityCache.maxEntries });
  const evictions = entityCache.enabled ? shareEvictions(entityCache, options.bus, log) : undefined;
  const metrics = new Metrics('gateway');
  const tracer = tracerFor('gateway');
  metrics.counter('usage_graph_gateway_entity_cache_reads_total', 'Reference entities asked of the entity cache, by result.', ['result'], function () {
    this.reset();
    this.inc({ result: 'hit' }, entityCache.hits);
    this.inc({ result: 'miss' }, entityCache.misses);
  });

  const refused = metrics.counter('usage_graph_gateway_rate_limited_total', 'Requests refused by the per-tenant rate limit (429).', []);
  const runtime = createGatewayRuntime({
    supergraph: options.supergraphSdl,
    // The Rust query planner (Hive Router's, MIT) by default: it costs less CPU per request than the
    // runtime's JavaScript planner (bench/RESULTS.md, "What moved the figures"). Loaded only when
    // chosen, so QUERY_PLANNER=js works where its native module does not.
    ...(options.tuning.queryPlanner === 'rust' ? { unifiedGraphHandler: (await import('@graphql-hive/router-runtime')).unifiedGraphHandler } : {}),
    logging: runtimeLogger(log),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    readinessCheckEndpoint: '/readyz',
    landingPage: options.ide,
    graphiql: options.ide ? { title: 'Usage graph' } : false,
    maskedErrors: { maskError },
    // Subscriptions reach the usage subgraph over graphql-ws on its /graphql (the runtime would try
    // SSE otherwise, which Apollo Server refuses as a possible cross-site request).
    // The signed caller rides in the connection params (plugins/upstream-signature.ts).
    transportEntries: {
      // No deduplication of identical queries in flight: for it the HTTP executor deep-copies every
      // subgraph result (structuredClone), shared or not, about 50 ms of a 30-day hourly meter's
      // 2.4 MB; and identical queries at once come only from one caller (the signed caller is in
      // the key), whose retries should reach the subgraph anyway.
      '*': { options: { deduplicateInflightRequests: false } },
      usage: {
        options: {
          subscriptions: { kind: 'ws', location: '/graphql', options: { connectionParams: upstreamConnectionParams(Object.values(InternalHeader)) } },
        },
      },
    },
    // Authentication first: nothing else runs for a request without a valid token.
    plugins: () => [
      // The console page is public (it holds no data); what it asks the graph for is authenticated.
      useConsole(),
      ...(options.metrics === false ? [] : [useMetrics(metrics)]),
      useRequestLog(log),
      useRequestLimits(options.limits.bodyLimitBytes),
      useAuthentication(options.auth.verify, options.ide, callers),
      useRateLimit(sharedLimiter ?? localLimiter, callers, () => refused.inc()),
      useAuthorization(),
      useOperationLimits(options.limits.operations),
      useExecutionData(),
      useUpstreamSignature(options.auth.internalSecret),
      useTracePropagation(),
      // A subgraph that does not answer in time fails the request instead of holding it.
      useUpstreamTimeout(options.limits.subgraphTimeoutMs),
      ...(evictions ? [useEntityCache(entityCache, evictions.evict)] : []),
      useExportDownloads(options.usageSubgraphUrl, exportDownloadAuthorizer(callers, options.auth.internalSecret)),
    ],
  });

  // The adapter's Node request listener, the one the adapter itself calls for a Node request: it
  // answers (or logs) every failure itself, so the promise it returns never rejects; Node's type says so.
  const readiness = readinessListener(options.supergraphSdl);
  const serveMetrics = metricsListener(metrics, options.auth.verify);
  const serveHealth = healthListener(subgraphsOf(options.supergraphSdl), options.auth.verify);
  // Idle keep-alive connections are closed HTTP_KEEPALIVE_TIMEOUT_MS (75 s) after their last response,
  // plus the 1 s Node 24 adds past the `Keep-Alive: timeout` it advertises. Keep it longer than the REST
  // facade's client keeps an idle connection, so the client side closes first and a request never lands
  // on one this server is closing (ECONNRESET, found under load). Connections that send nothing or stop
  // mid-request are answered 408 and closed; past HTTP_MAX_CONNECTIONS they are closed at once.
  const limits = options.http ?? defaultHttpLimits;
  const server = createServer(httpServerOptions(limits), (request, response) => {
    if (readiness(request, response)) return;
    if (request.url?.split('?')[0] === '/health' && request.method === 'GET') {
      serveHealth(request, response).catch((error: unknown) => {
        log.error('could not answer the health page', error);
        if (!response.headersSent) response.writeHead(503).end();
      });
      return;
    }
    if (options.metrics !== false && request.url?.split('?')[0] === '/metrics') {
      serveMetrics(request, response).catch((error: unknown) => {
        log.error('could not serve the metrics', error);
        if (!response.headersSent) response.writeHead(503).end();
      });
      return;
    }
    // A server span for the request (platform/tracing.ts; the runtime's work and its subgraph calls run in it).
    void inServerSpan(tracer, `${request.method ?? 'GET'} ${request.url?.split('?')[0] ?? '/'}`, contextOf(request.headers), (span) => {
      const done = new Promise<void>((resolve) => response.once('close', resolve));
      runtime.requestListener(request, response);
      return done.then(() => span.setAttribute('http.response.status_code', response.statusCode));
    });
  });
  server.maxConnections = limits.maxConnections;
  const sockets = new WebSocketServer({ server, path: runtime.graphqlEndpoint, maxPayload: options.websocket.maxMessageBytes });
  metrics.gauge('usage_graph_gateway_websocket_connections', 'Open graphql-ws connections.', function () {
    this.set(sockets.clients.size);
  });
  const ws = serveGraphQLWs(
    sockets,
    withWebSocketLimits(
      withWebSocketAuth(
        {
          ...getGraphQLWSOptions<Record<string, unknown>, AuthenticatedExtra>(runtime, (ctx) => ({
            req: ctx.extra.request,
            socket: ctx.extra.socket,
            caller: ctx.extra.caller,
            // The upgrade request stands for every operation on the socket. As a GET it would make the
            // runtime refuse mutations (they must not travel in GET URLs); a socket message is no URL.
            request: new runtime.fetchAPI.Request(`http://${ctx.extra.request.headers.host ?? 'localhost'}${ctx.extra.request.url ?? '/graphql'}`, {
              method: 'POST',
              headers: ctx.extra.request.headers as Record<string, string>,
            }),
          })),
          // Over HTTP the runtime drops its internal `http` and `unexpected` error extensions when it
          // serializes; graphql-ws serializes on its own, so drop them here too.
          onNext: (_ctx, _id, _payload, _args, result) =>
            result.errors
              ? {
                  ...result,
                  errors: result.errors.map((error) => {
                    const { http: _http, unexpected: _unexpected, ...extensions } = error.extensions ?? {};
                    return { ...error.toJSON(), extensions };
                  }),
                }
              : undefined,
        },
        options.auth.verify,
      ),
      { maxSubscriptions: options.limits.wsMaxSubscriptions, limiter: sharedLimiter ?? localLimiter },
    ),
    options.websocket,
    log,
  );

  await sharedLimiter?.whenReady(2_000);
  // The runtime loads the supergraph on its first HTTP request; a websocket operation arriving
  // before any would find no schema. Load it before accepting connections, so subscriptions work
  // from the first second.
  await runtime.getSchema();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  log.debug(`listening on ${host}:${port}`);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const client of sockets.clients) client.close(1001, 'Going away');
      await ws.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.dispose();
      await sharedLimiter?.close();
      await evictions?.stop();
    })());

  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    server,
    entityCache,
    metrics,
    close,
    [Symbol.asyncDispose]: close,
  };
}
