import type { Config } from '../platform/config.js';
import type { GatewayLimits, GatewayOptions } from './server.js';

/** The gateway's limits from the configuration. */
const gatewayLimits = (config: Config): GatewayLimits => ({
  bodyLimitBytes: config.bodyLimitBytes,
  ratePerSecond: config.limits.ratePerSecond,
  rateBurst: config.limits.rateBurst,
  rateRedisUrl: config.redisUrl,
  operations: { ...config.limits.graphql, pageSize: config.paging },
  wsMaxSubscriptions: config.limits.wsMaxSubscriptions,
  subgraphTimeoutMs: config.limits.subgraphTimeoutMs,
});

/** What both ways of running the gateway (gateway/index.ts, scripts/system.ts) take from the configuration. */
export const gatewaySettings = (config: Config): Pick<GatewayOptions, 'host' | 'port' | 'ide' | 'websocket' | 'limits' | 'tuning' | 'http' | 'metrics'> => ({
  host: config.host,
  port: config.ports.gateway,
  ide: config.env !== 'production',
  websocket: config.websocket,
  limits: gatewayLimits(config),
  tuning: config.gateway,
  http: config.http,
  metrics: config.metrics,
});
