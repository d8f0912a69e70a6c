import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { servedOpenApi } from '../spec/openapi.js';
import { v5Base } from './product-usage-v5.js';
import { v4Base } from './usage-v4.js';

/** What the facade serves, per version, as paths of the specification files. */
export const servedPaths = {
  v5: ['/productUsage', '/productUsage/{id}', '/exportJob', '/exportJob/{id}', '/hub', '/hub/{id}'],
  v4: ['/usage', '/usage/{id}', '/usageSpecification', '/usageSpecification/{id}', '/hub', '/hub/{id}'],
};

/** Paths where the file lists more operations than the facade serves. */
const servedMethods = {
  v5: { '/hub': ['post'], '/hub/{id}': ['get', 'delete'] },
  v4: { '/hub': ['post'], '/hub/{id}': ['delete'] },
};

const require = createRequire(import.meta.url);
const swaggerUi = path.dirname(require.resolve('swagger-ui-dist/package.json'));
// Read once at start-up; the page needs only these files, served from this machine (no CDN).
const assets: Record<string, { type: string; body: Buffer }> = {
  'swagger-ui.css': { type: 'text/css', body: readFileSync(path.join(swaggerUi, 'swagger-ui.css')) },
  'swagger-ui-bundle.js': { type: 'application/javascript', body: readFileSync(path.join(swaggerUi, 'swagger-ui-bundle.js')) },
  'swagger-ui-standalone-preset.js': {
    type: 'application/javascript',
    body: readFileSync(path.join(swaggerUi, 'swagger-ui-standalone-preset.js')),
  },
};

const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Usage graph: TMF635 REST API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({ dom_id: '#ui', urls: [
  { name: 'TMF635 v5 Product Usage', url: '${v5Base}/openapi.json' },
  { name: 'TMF635 v4 Usage', url: '${v4Base}/openapi.json' } ] ,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
</script></body></html>`;

/** The OpenAPI documents of what the facade actually serves, and a page to read and try them. */
export function registerDocs(app: FastifyInstance, publicUrl: string): void {
  const v5 = servedOpenApi('v5', { paths: servedPaths.v5, serverUrl: `${publicUrl}${v5Base}`, methods: servedMethods.v5 });
  const v4 = servedOpenApi('v4', { paths: servedPaths.v4, serverUrl: `${publicUrl}${v4Base}`, methods: servedMethods.v4 });
  const open = { config: { public: true } };
  app.get(`${v5Base}/openapi.json`, open, async (_request, reply) => reply.type('application/json').send(v5));
  app.get(`${v4Base}/openapi.json`, open, async (_request, reply) => reply.type('application/json').send(v4));
  app.get('/docs', open, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/docs/:asset', open, async (request, reply) => {
    const asset = assets[(request.params as { asset: string }).asset];
    if (!asset) return reply.callNotFound();
    return reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(asset.body);
  });
}
