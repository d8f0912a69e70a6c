import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { refusal, refusalResponse } from '../../platform/error-response.js';
import { ErrorCode } from '../../platform/errors.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../console/dist');
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
// Only names vite writes: no "..", no encoded separators, nothing outside dist/.
const assetPath = /^\/console\/(assets\/[A-Za-z0-9._-]+)$/;

/**
 * GET /console: the usage console (gateway/console, built into its dist/ by `npm ci`). It is a
 * static page that talks GraphQL to this same gateway, so it needs no server of its own and no
 * CORS. Hashed assets are cached for good; the page itself is always revalidated.
 */
export function useConsole(): GatewayPlugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      if (url.pathname !== '/console' && !url.pathname.startsWith('/console/')) return;
      const asset = assetPath.exec(url.pathname)?.[1];
      if (url.pathname.startsWith('/console/assets/') && !asset) {
        endResponse(refusalResponse(fetchAPI, refusal(ErrorCode.NOT_FOUND, `No console asset ${url.pathname}.`)));
        return;
      }
      const file = path.join(dist, asset ?? 'index.html');
      try {
        const body = await readFile(file);
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
            headers: {
              'content-type': types[path.extname(file)] ?? 'application/octet-stream',
              'cache-control': asset ? 'public, max-age=31536000, immutable' : 'no-cache',
              'x-content-type-options': 'nosniff',
            },
          }),
        );
      } catch {
        endResponse(
          new fetchAPI.Response(asset ? 'Not found' : 'The console is not built: run `npm run console:build` (npm ci does it).', {
            status: asset ? 404 : 503,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
          }),
        );
      }
    },
  };
}
