import path from 'node:path';
import { build } from 'esbuild';
import { root } from '../load.js';

/**
 * A lever measured, not adopted: our gateway built into one JavaScript file (esbuild, packages left
 * external) and run by plain `node`, instead of `npm run gateway`'s tsx loader. tsx keeps every
 * module it loads in its own loader thread too; with the Hive runtime's module graph that is about
 * 90 MiB of RSS (bench/what-moved.md).
 */
export async function buildOurGateway(outDir: string): Promise<string> {
  const outfile = path.resolve(root, outDir, 'gateway-built.mjs');
  await build({
    entryPoints: [path.join(root, 'gateway/index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}
