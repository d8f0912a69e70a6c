import Fastify, { type FastifyInstance } from 'fastify';
import { defaultHttpLimits, type HttpLimits } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { serviceUnavailable, tmfSurface } from './errors.js';
import { useErrorSurface } from './error-hook.js';
import type { VerifyToken } from '../platform/token-verifier.js';
import { registerAnonymousPreflight } from './anonymous-preflight.js';
import { registerAuthentication } from './authentication.js';
import { checkedJsonParser } from './json-body.js';
import { withAuthorization, type GatewayClient } from './gateway-client.js';
import { registerDocs } from './routes/docs.js';
import { registerHealth } from './routes/health.js';
import { registerExportJobs } from './routes/export-job-v5.js';
import { registerHubs } from './routes/hub.js';
import { registerProductUsageCorrections } from './routes/product-usage-correction-v5.js';
import { productUsageV5 } from './routes/product-usage-v5.js';
import { registerResource, type Paging } from './routes/resource.js';
import { usageSpecificationV4 } from './routes/usage-specification-v4.js';
import { usageV4 } from './routes/usage-v4.js';
import { registerUts } from './routes/uts.js';

export interface RestAppOptions {
  gateway: GatewayClient;
  /** The gateway's token verifier (platform/authentication.ts): every request is checked first. */
  verify: VerifyToken;
  /** The gateway's GraphQL URL; export files are streamed from its /exports route. */
  gatewayUrl: string;
  /** The facade's public address: the base of every href and Location. */
  publicUrl: string;
  bodyLimitBytes: number;
  paging: Paging;
  /** TMF_ANONYMOUS_PREFLIGHT (anonymous-preflight.ts). */
  anonymousPreflight: 'empty' | 'refuse';
  /** Longest list a body may hold (json-body.ts); at least the ingestion batch size. Default 1000. */
  maxListItems?: number;
  /** Connection cap and HTTP timeouts (config.http; default defaultHttpLimits). */
  http?: HttpLimits;
  logger: Logger;
}

/** Builds the TMF635 REST facade (no listening: server.ts does that). */
export async function buildRestApp(options: RestAppOptions): Promise<FastifyInstance> {
  const log = options.logger.child('rest');
  const limits = options.http ?? defaultHttpLimits;
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    // Fastify's own options for Node's timeouts (docs/security.md, "Limits"): an idle keep-alive connection is
    // closed after keepAliveTimeout; one that sends nothing or stops mid-request is answered 408 and
    // closed after the headers or request timeout, found by Node every checkIntervalMs. No socket
    // inactivity timeout (connectionTimeout): an answer in progress is bounded by the gateway's own.
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: limits.checkIntervalMs },
    routerOptions: { ignoreTrailingSlash: true },
    // A body that tries to reach Object.prototype is refused outright (400), never stripped.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    logger: false,
    // A request arriving while the facade stops gets the TMF 503 below, not Fastify's own body.
    return503OnClosing: false,
  });
  // Fastify has no option for it: connections past the cap are closed by Node as they are accepted.
  app.server.maxConnections = limits.maxConnections;

  // Only JSON bodies: application/json, and the two PATCH formats, parsed the same way.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(
    ['application/json', 'application/merge-patch+json', 'application/json-patch+json'],
    { parseAs: 'string' },
    checkedJsonParser(parseJson as Parameters<typeof checkedJsonParser>[0], options.maxListItems ?? 1000),
  );

  // TMF630 error bodies everywhere but under the UTS prefix, which words the same errors its way (routes/uts.ts).
  useErrorSurface(app, tmfSurface(log));

  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    throw serviceUnavailable('The server is shutting down; try again.');
  });
  // A request taken before the stop began is served to its end, then its connection is closed: kept
  // alive, it would hold the stop until the client left or the keep-alive timeout (75 s) ran out, as
  // Node closes only the connections idle when the server closes (tests/integration/faults.test.ts).
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  // Every operation a route sends carries the caller's own credential (gateway-client.ts). The
  // last hook before the handler, so the handler and all it awaits run inside it.
  app.addHook('preHandler', (request, _reply, done) => withAuthorization(request.headers.authorization, done));
  registerAnonymousPreflight(app, options.anonymousPreflight);
  registerAuthentication(app, options.verify);

  const { gateway, publicUrl, paging } = options;
  registerResource(app, productUsageV5(gateway, publicUrl), paging);
  registerProductUsageCorrections(app, gateway, publicUrl);
  registerResource(app, usageV4(gateway, publicUrl), paging);
  registerResource(app, usageSpecificationV4(gateway, publicUrl), paging);
  registerExportJobs(app, gateway, options.gatewayUrl, publicUrl, paging);
  registerHubs(app, gateway, publicUrl);
  registerUts(app, gateway, publicUrl, paging, options.logger);
  registerDocs(app, publicUrl);
  registerHealth(app, options.gatewayUrl);
  return app;
}
