import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../platform/config.js';

const refusal =
  'NODE_ENV=production needs real keys: set AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE, and INTERNAL_AUTH_SECRET (an HS256 development secret is not accepted).';

describe('production without real keys', () => {
  it('is refused by the configuration, an HS256 secret included', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(new ConfigError(refusal));
    const hs256 = 'x'.repeat(40);
    expect(() => loadConfig({ NODE_ENV: 'production', AUTH_HS256_SECRET: hs256, INTERNAL_AUTH_SECRET: hs256 })).toThrow(new ConfigError(refusal));
    expect(() => loadConfig({ NODE_ENV: 'production', AUTH_JWKS_URL: 'https://idp.example.com/jwks' })).toThrow(new ConfigError(refusal));
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWKS_URL: 'https://idp.example.com/jwks', INTERNAL_AUTH_SECRET: hs256 }).auth).toMatchObject({
      jwksUrl: 'https://idp.example.com/jwks',
      hs256Secret: undefined,
    });
  });

  it('makes `npm start` exit 1 with that one sentence, before it starts anything', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'usage-graph-prod-'));
    try {
      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AUTH_') && key !== 'INTERNAL_AUTH_SECRET'));
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
        env: { ...env, NODE_ENV: 'production', DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(output.trim()).toBe(`Start-up failed: ${refusal}`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
