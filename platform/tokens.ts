import { SignJWT } from 'jose';
import { serviceIssuer, serviceTokenKey } from './auth-keys.js';
import { Scope, type RequestCaller } from './caller.js';

export interface MintOptions {
  secret: string | Uint8Array;
  issuer: string;
  audience?: string;
  tenantClaim?: string;
  /** Lifetime in seconds. */
  ttlSeconds: number;
}

/** An HS256 token for `caller`: development tokens, test tokens and service tokens. */
export function mintToken(caller: RequestCaller, options: MintOptions): Promise<string> {
  const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  let jwt = new SignJWT({ [options.tenantClaim ?? 'tenant']: caller.tenant, scope: caller.scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(caller.subject)
    .setIssuer(options.issuer)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(key);
}

/**
 * The webhook worker's credential: a short-lived token with only `hub:deliver`, signed with a key
 * derived from INTERNAL_AUTH_SECRET, re-minted before it expires. The gateway accepts the internal
 * issuer for nothing but `hub:deliver` (token-verifier.ts).
 */
export function serviceTokens(internal: string, ttlSeconds = 300): () => Promise<string> {
  let current: { token: string; renewAt: number } | undefined;
  return async () => {
    if (!current || Date.now() >= current.renewAt) {
      const token = await mintToken(
        { tenant: 'system', subject: 'hub-delivery-worker', scopes: [Scope.HUB_DELIVER] },
        { secret: serviceTokenKey(internal), issuer: serviceIssuer, ttlSeconds },
      );
      current = { token, renewAt: Date.now() + (ttlSeconds * 1000) / 2 };
    }
    return current.token;
  };
}
