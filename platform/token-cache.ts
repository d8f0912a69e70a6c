import { ExpiringMap } from './expiring-map.js';
import type { VerifiedToken, VerifyToken } from './token-verifier.js';

export interface TokenCacheOptions {
  /** Tokens remembered at once; the oldest is forgotten first. */
  maxEntries: number;
  /** How long a verification is trusted, at most (a key taken out of the JWKS stops working within it). */
  maxAgeMs: number;
  now?: () => number;
}

/**
 * `verify` remembering the tokens it accepted, until they expire or `maxAgeMs` passes, whichever
 * is first. A client sends the same token with every request; checking its signature each time
 * (ES256/RS256 in production) was a tenth of the gateway's CPU per request (bench/RESULTS.md).
 * Refusals are not remembered: a bad token costs its verification every time, as before.
 */
export function cachedTokenVerifier(verify: VerifyToken, options: TokenCacheOptions): VerifyToken {
  const now = options.now ?? Date.now;
  const accepted = new ExpiringMap<VerifiedToken>(options.maxEntries, now);
  return async (authorization) => {
    if (!authorization) return verify(authorization);
    const hit = accepted.get(authorization);
    if (hit) return hit;
    const token = await verify(authorization);
    accepted.set(authorization, token, Math.min(now() + options.maxAgeMs, token.expiresAt === undefined ? Infinity : token.expiresAt * 1000));
    return token;
  };
}
