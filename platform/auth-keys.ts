import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AuthConfig } from './config.js';

/**
 * Key material of authentication, resolved once at start-up. Production has real keys (config.ts
 * refuses to start without them); development and tests without configured keys get keys generated
 * once into DATA_DIR (git-ignored, mode 0600), so tokens printed by `npm start` survive restarts.
 */
export type TokenKey =
  { kind: 'jwks'; url: string } | { kind: 'public-key'; pem: string; alg: string } | { kind: 'hs256'; secret: string; development: boolean };

/** A secret generated once into DATA_DIR/<name>; safe when several processes race to create it. */
export function developmentSecret(dataDir: string, name: string): { secret: string; file: string; created: boolean } {
  const file = path.resolve(dataDir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return { secret, file, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Another process created it a moment ago: its write of 44 bytes is one system call.
  for (let attempt = 0; attempt < 50; attempt++) {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return { secret: existing, file, created: false };
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  throw new Error(`${file} holds no usable key; delete it to have a new one generated.`);
}

export function internalSecret(auth: AuthConfig, dataDir: string): string {
  return auth.internalSecret ?? developmentSecret(dataDir, 'internal-auth-secret').secret;
}

/** How the gateway verifies client tokens. */
export function tokenKey(auth: AuthConfig, dataDir: string): TokenKey {
  if (auth.jwksUrl) return { kind: 'jwks', url: auth.jwksUrl };
  if (auth.publicKeyFile) return { kind: 'public-key', pem: readFileSync(auth.publicKeyFile, 'utf8'), alg: auth.publicKeyAlg };
  if (auth.hs256Secret) return { kind: 'hs256', secret: auth.hs256Secret, development: false };
  return { kind: 'hs256', secret: developmentSecret(dataDir, 'auth-dev-secret').secret, development: true };
}

/**
 * The key of service tokens (the webhook worker's), derived from the internal secret so that the
 * REST facade needs no key of the identity provider. Derived, not reused: an internal header
 * signature can never double as a token signature.
 */
export const serviceTokenKey = (internal: string): Uint8Array => createHmac('sha256', internal).update('usage-graph service token v1').digest();
export const serviceIssuer = 'usage-graph-internal';
export const developmentIssuer = 'usage-graph-development';
