import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { signCaller } from '../platform/internal-signature.js';
import { root } from './load.js';

/**
 * Production's authentication for the system under test (docs/security.md): config.ts refuses to
 * start in production without real keys, the gateway takes only bearer tokens and the subgraphs only
 * gateway-signed requests. The bench makes an ES256 key pair of its own for the run, gives every
 * process it starts the public key and an internal secret, and sends a token for one tenant with
 * the `admin` scope.
 */
export interface BenchAuth {
  /** What every process the bench starts gets in its environment. */
  env: Record<string, string>;
  /** `Authorization` for requests to our gateway and the REST facade. */
  authorization: string;
  /**
   * The same for a tenant of its own (`ingestTenant`), for what a scenario writes and removes while
   * it measures reads of benchCaller's data: removed documents leave dead index entries behind (until
   * a vacuum) where the measured tenant's newest-first pages read (docs/database.md).
   */
  ingestAuthorization: string;
  /** The signed caller headers a subgraph requires (for the other gateways, which sign nothing of their own). */
  signedCaller(): Record<string, string>;
}

/** The one caller of the run: the token's, and the one the other gateways sign for. */
export const benchCaller = { tenant: 'bench', subject: 'bench', scopes: ['admin'] as const };

/** The tenant of BenchAuth.ingestAuthorization. */
export const ingestTenant = 'bench-ingest';

/** What the other gateways add to each subgraph request (they read INTERNAL_AUTH_SECRET from the bench). */
export function signedBenchCaller(secret = process.env.INTERNAL_AUTH_SECRET!): Record<string, string> {
  return signCaller(secret, { ...benchCaller, scopes: [...benchCaller.scopes] });
}

export async function createBenchAuth(dataDir: string): Promise<BenchAuth> {
  const folder = path.resolve(root, dataDir, 'bench-auth');
  mkdirSync(folder, { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyFile = path.join(folder, `public-${process.pid}.pem`);
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const internalSecret = randomBytes(32).toString('base64url');
  const caller = benchCaller;
  const tokenOf = (tenant: string) =>
    new SignJWT({ tenant, scope: caller.scopes.join(' ') })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setSubject(caller.subject)
      .setIssuedAt()
      .setExpirationTime('3h')
      .sign(privateKey);
  const [token, ingestToken] = await Promise.all([tokenOf(caller.tenant), tokenOf(ingestTenant)]);
  return {
    env: { AUTH_PUBLIC_KEY_FILE: publicKeyFile, AUTH_PUBLIC_KEY_ALG: 'ES256', INTERNAL_AUTH_SECRET: internalSecret },
    authorization: `Bearer ${token}`,
    ingestAuthorization: `Bearer ${ingestToken}`,
    signedCaller: () => signedBenchCaller(internalSecret),
  };
}
