import type { IncomingMessage, ServerResponse } from 'node:http';
import { answersReady, readinessOf, readinessResponse } from '../platform/readiness.js';

/** The subgraphs of a supergraph and the readiness URL beside each one's GraphQL endpoint. */
export function subgraphReadinessUrls(supergraphSdl: string): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [, name, url] of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) {
    urls[name!] = new URL('/readyz', url).href;
  }
  return urls;
}

/**
 * GET /readyz: 200 when every subgraph answers its own /readyz (which pings its database), 503 with
 * the ones that do not, so a load balancer stops sending to a gateway that could only fail. Served
 * in front of the runtime, whose own readiness check (a base plugin, ahead of ours) only knows that
 * a supergraph is loaded.
 */
export function readinessListener(supergraphSdl: string): (request: IncomingMessage, response: ServerResponse) => boolean {
  const checks = Object.fromEntries(Object.entries(subgraphReadinessUrls(supergraphSdl)).map(([name, url]) => [name, () => answersReady(url)]));
  return (request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/readyz') return false;
    void readinessOf(checks, (name) => `the ${name} service`).then((readiness) => {
      const { status, body } = readinessResponse(readiness);
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
    });
    return true;
  };
}
