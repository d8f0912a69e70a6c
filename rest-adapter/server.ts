import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpLimits } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { VerifyToken } from '../platform/token-verifier.js';
import { buildRestApp } from './app.js';
import { Metrics } from '../platform/metrics.js';
import { registerMetrics } from './metrics.js';
import { registerTracing } from './tracing.js';
import { GatewayClient } from './gateway-client.js';
import { HubDeliveryWorker } from './hub-delivery.js';
import type { Paging } from './routes/resource.js';
import { registerRequestLog } from './request-log.js';

export interface RunningRestAdapter {
  url: string;
  /** Fastify's node:http server (tests count its connections). */
  server: Server;
  close(): Promise<void>;
}

export interface RestAdapterOptions {
  gatewayUrl: string;
  /** Verifies each request's bearer token before anything else (authentication.ts). */
  verify: VerifyToken;
  /** Key that signs webhook deliveries (see signing-secret.ts). */
  hubSigningSecret: string;
  /** HUB_PRIVATE_CALLBACKS (see callback-agent.ts). */
  hubPrivateCallbacks: 'allow' | 'deny';
  /** The webhook worker's credential (platform/tokens.ts serviceTokens). */
  hubDeliveryToken: () => Promise<string>;
  /** TMF_ANONYMOUS_PREFLIGHT (see anonymous-preflight.ts). */
  anonymousPreflight: 'empty' | 'refuse';
  /** Longest list a request body may hold (json-body.ts). */
  maxListItems?: number;
  publicUrl: string;
  host: string;
  port: number;
  bodyLimitBytes: number;
  paging: Paging;
  /** Connection cap and HTTP timeouts (config.http; default defaultHttpLimits). */
  http?: HttpLimits;
  logger: Logger;
  /** METRICS: GET /metrics and the request and delivery series (default on). */
  metrics?: boolean;
}

/** The REST facade, listening. Its only back end is the gateway's GraphQL endpoint. */
export async function startRestAdapter(options: RestAdapterOptions): Promise<RunningRestAdapter> {
  const gateway = new GatewayClient(options.gatewayUrl);
  const app = await buildRestApp({ ...options, gateway });
  const metrics = options.metrics === false ? undefined : new Metrics('rest');
  if (metrics) registerMetrics(app, metrics, options.verify);
  registerTracing(app);
  registerRequestLog(app, options.logger);
  await app.listen({ host: options.host, port: options.port });
  const deliveries = new HubDeliveryWorker({
    gateway,
    publicUrl: options.publicUrl,
    secret: options.hubSigningSecret,
    token: options.hubDeliveryToken,
    privateCallbacks: options.hubPrivateCallbacks,
    logger: options.logger.child('webhooks'),
    ...(metrics ? { metrics } : {}),
  });
  deliveries.start();
  const { port } = app.server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    server: app.server,
    async close() {
      await deliveries.stop();
      await app.close();
      await gateway.close();
    },
  };
}
