import type { Config } from '../subgraphs/shared/config.js';
import { internalSecret, tokenKey } from '../subgraphs/shared/auth-keys.js';
import type { VerifyToken } from './plugins/authentication.js';
import type { GatewayLimits, GatewayOptions } from './server.js';
import { cachedTokenVerifier } from './token-cache.js';
import { createTokenVerifier } from './token-verifier.js';

/** The gateway's authentication settings from the configuration (README, "Security"). */
export async function gatewayAuth(config: Config, warn: (message: string) => void): Promise<{ verify: VerifyToken; internalSecret: string }> {
  const key = tokenKey(config.auth, config.dataDir);
  if (key.kind === 'hs256' && key.development) {
    warn(`No AUTH_JWKS_URL, AUTH_PUBLIC_KEY_FILE or AUTH_HS256_SECRET: tokens are verified with a development key in ${config.dataDir}/auth-dev-secret. Never run this way in production.`);
  }
  const secret = internalSecret(config.auth, config.dataDir);
  const verify = await createTokenVerifier({
    key,
    internalSecret: secret,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    tenantClaim: config.auth.tenantClaim,
  });
  return { verify: cachedTokenVerifier(verify, { maxEntries: 10_000, maxAgeMs: 60_000 }), internalSecret: secret };
}

/** The gateway's limits from the configuration. */
const gatewayLimits = (config: Config): GatewayLimits => ({
  bodyLimitBytes: config.bodyLimitBytes,
  ratePerSecond: config.limits.ratePerSecond,
  rateBurst: config.limits.rateBurst,
  operations: { ...config.limits.graphql, pageSize: config.paging },
  wsMaxSubscriptions: config.limits.wsMaxSubscriptions,
  subgraphTimeoutMs: config.limits.subgraphTimeoutMs,
});

/** What both ways of running the gateway (gateway/index.ts, scripts/system.ts) take from the configuration. */
export const gatewaySettings = (config: Config): Pick<GatewayOptions, 'host' | 'port' | 'ide' | 'websocket' | 'limits' | 'tuning'> => ({
  host: config.host,
  port: config.ports.gateway,
  ide: config.env !== 'production',
  websocket: config.websocket,
  limits: gatewayLimits(config),
  tuning: config.gateway,
});
