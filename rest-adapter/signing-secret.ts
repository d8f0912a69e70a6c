import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The key that signs webhook deliveries (HMAC-SHA256). HUB_SIGNING_SECRET in production; without it
 * a development key is generated once and kept in DATA_DIR/hub-signing-secret (git-ignored, mode
 * 0600), so receivers keep verifying across restarts.
 */
export function hubSigningSecret(configured: string | undefined, dataDir: string, warn: (message: string) => void): string {
  if (configured) return configured;
  const file = path.resolve(dataDir, 'hub-signing-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  warn(`HUB_SIGNING_SECRET is not set: webhooks are signed with a development key kept in ${file}. Set HUB_SIGNING_SECRET in production.`);
  return secret;
}
