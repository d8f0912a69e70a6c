import { internalSecret, tokenKey } from './auth-keys.js';
import type { Config } from './config.js';
import { cachedTokenVerifier } from './token-cache.js';
import { createTokenVerifier, type VerifyToken } from './token-verifier.js';

export interface Authentication {
  verify: VerifyToken;
  /** The key the gateway signs callers into subgraph requests with, and service tokens derive from. */
  internalSecret: string;
}

/**
 * How clients are authenticated, from the configuration (docs/security.md): the gateway and the
 * REST facade build the same verifier, so both accept exactly the same tokens.
 */
export async function authFromConfig(config: Config, warn: (message: string) => void): Promise<Authentication> {
  const key = tokenKey(config.auth, config.dataDir);
  if (key.kind === 'hs256' && key.development) {
    warn(
      `No AUTH_JWKS_URL, AUTH_PUBLIC_KEY_FILE or AUTH_HS256_SECRET: tokens are verified with a development key in ${config.dataDir}/auth-dev-secret. Never run this way in production.`,
    );
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
