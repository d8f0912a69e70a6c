import { createRemoteJWKSet, decodeJwt, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { serviceIssuer, serviceTokenKey, type TokenKey } from './auth-keys.js';
import { callerIdPattern, isScope, Scope, type RequestCaller } from './caller.js';

export interface TokenVerifierOptions {
  key: TokenKey;
  /** The internal secret: service tokens (the webhook worker's) are signed with a key derived from it. */
  internalSecret: string;
  issuer?: string;
  audience?: string;
  tenantClaim: string;
}

/** Why a token was refused; the message is safe to show the client (it names no key or internal detail). */
export class TokenError extends Error {
  override name = 'TokenError';
}

export interface VerifiedToken {
  caller: RequestCaller;
  /** Unix seconds when the token expires, if it does. */
  expiresAt?: number;
}

/** A verifier: the caller of an Authorization header, or a TokenError saying why not. */
export type VerifyToken = (authorization: string | null | undefined) => Promise<VerifiedToken>;

/** Clocks of the identity provider and the gateway differ a little. */
const clockTolerance = 5;

/**
 * Verifies bearer tokens (the gateway, and the REST facade before it reads a body): signature (JWKS, a public key, or HS256 in
 * development), expiry, and issuer and audience when configured. The tenant comes from the
 * configured claim; scopes from `scope` (space-separated, RFC 8693) or `scp` (string or array);
 * unknown scopes are ignored, since a shared identity provider may issue others.
 */
export async function createTokenVerifier(options: TokenVerifierOptions): Promise<VerifyToken> {
  const key: Uint8Array | CryptoKey | JWTVerifyGetKey =
    options.key.kind === 'jwks'
      ? createRemoteJWKSet(new URL(options.key.url))
      : options.key.kind === 'public-key'
        ? await importSPKI(options.key.pem, options.key.alg)
        : new TextEncoder().encode(options.key.secret);
  const algorithms = options.key.kind === 'hs256' ? ['HS256'] : options.key.kind === 'public-key' ? [options.key.alg] : undefined;
  const serviceKey = serviceTokenKey(options.internalSecret);

  return async (authorization) => {
    if (!authorization) throw new TokenError('Authentication required: send Authorization: Bearer <token>.');
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(authorization.trim());
    if (!match) throw new TokenError('The Authorization header must be "Bearer <JWT>".');
    const token = match[1]!;
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new TokenError('The bearer token is not a valid JWT.');
    }
    let payload: JWTPayload;
    let service = false;
    try {
      if (issuer === serviceIssuer) {
        service = true;
        ({ payload } = await jwtVerify(token, serviceKey, { issuer: serviceIssuer, algorithms: ['HS256'], clockTolerance, requiredClaims: ['exp'] }));
      } else {
        const verifyOptions = { issuer: options.issuer, audience: options.audience, algorithms, clockTolerance, requiredClaims: ['exp'] };
        ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key as Uint8Array, verifyOptions));
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw new TokenError('The bearer token has expired.');
      if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC') throw new TokenError('The bearer token could not be verified.');
      throw new TokenError('The bearer token is not valid.');
    }
    const tenant = payload[service ? 'tenant' : options.tenantClaim];
    if (typeof tenant !== 'string' || !callerIdPattern.test(tenant)) {
      throw new TokenError(`The bearer token names no valid tenant (claim "${service ? 'tenant' : options.tenantClaim}").`);
    }
    const subject = typeof payload.sub === 'string' && callerIdPattern.test(payload.sub) ? payload.sub : 'unknown';
    const raw = payload.scope ?? payload.scp;
    const listed = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw.filter((s): s is string => typeof s === 'string') : [];
    let scopes = [...new Set(listed.filter(isScope))];
    // The internal key is held by the REST facade for its delivery worker: it grants nothing else.
    if (service) scopes = scopes.filter((s) => s === Scope.HUB_DELIVER);
    return { caller: { tenant, subject, scopes }, expiresAt: payload.exp };
  };
}
