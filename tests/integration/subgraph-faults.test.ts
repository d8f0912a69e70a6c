import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

// A subgraph that is down or too slow is our fault, not the client's: 503 SERVICE_UNAVAILABLE or 504
// GATEWAY_TIMEOUT naming the subgraph, in GraphQL and in the TMF and UTS bodies, never a 500.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('subgraph_faults', { SUBGRAPH_TIMEOUT_MS: '1000' });
});
afterAll(async () => {
  await stack?.close();
});

const serverOf = (name: string): Server => stack.system.subgraphs.find((s) => s.name === name)!.server;

/** Runs `check` while the subgraph's server accepts requests and never answers them. */
async function whileHanging(name: string, check: () => Promise<void>): Promise<void> {
  const server = serverOf(name);
  const listeners = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
  const held: IncomingMessage[] = [];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage) => held.push(request));
  try {
    await check();
  } finally {
    server.removeAllListeners('request');
    for (const listener of listeners) server.on('request', listener);
    for (const request of held) request.socket.destroy();
  }
}

/** Runs `check` while nothing listens on the subgraph's port, then listens there again. */
async function whileDown(name: string, check: () => Promise<void>): Promise<void> {
  const server = serverOf(name);
  const { port, address } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  try {
    await check();
  } finally {
    await new Promise<void>((resolve) => server.listen(port, address, resolve));
  }
}

const v5List = '/tmf-api/productUsageManagement/v5/productUsage';
const jobs = '/api/usagetransparency/v3/usagesJobs';

describe('a subgraph that does not answer in time', () => {
  it('is GATEWAY_TIMEOUT with status 504 through GraphQL, TMF and UTS', async () => {
    await whileHanging('party', async () => {
      const graph = await stack.post(JSON.stringify({ query: '{ parties { totalCount } }' }));
      expect(graph).toEqual({
        status: 504,
        // The runtime times out the whole subgraph request, so the error has no path.
        body: { data: null, errors: [{ message: 'The party service did not answer in time; try again.', extensions: { code: 'GATEWAY_TIMEOUT' } }] },
      });
    });
    await whileHanging('usage', async () => {
      const tmf = await stack.rest('GET', v5List);
      expect(tmf.status).toBe(504);
      expect(tmf.headers.get('retry-after')).toBe('1');
      expect(tmf.body).toEqual({
        '@type': 'Error',
        code: '504',
        reason: 'Gateway Timeout',
        message: 'The usage service did not answer in time; try again.',
        status: '504',
      });
      const uts = await stack.rest('GET', jobs);
      expect(uts.status).toBe(504);
      expect(uts.body.errors).toEqual([
        {
          code: 'mdsp.core.generic.gatewayTimeout',
          message: 'The usage service did not answer in time; try again.',
          messageParameters: [],
          logref: expect.any(String),
        },
      ]);
    });
    // And the graph serves again once the subgraph does.
    expect((await stack.post(JSON.stringify({ query: '{ parties { totalCount } }' }))).status).toBe(200);
  });
});

describe('a subgraph that cannot be reached', () => {
  it('is SERVICE_UNAVAILABLE with status 503 through GraphQL and TMF', async () => {
    await whileDown('party', async () => {
      const graph = await stack.post(JSON.stringify({ query: '{ parties { totalCount } }' }));
      expect(graph).toEqual({
        status: 503,
        body: {
          data: null,
          errors: [{ message: 'The party service is unavailable; try again shortly.', path: ['parties'], extensions: { code: 'SERVICE_UNAVAILABLE' } }],
        },
      });
    });
    await whileDown('usage', async () => {
      const tmf = await stack.rest('GET', v5List);
      expect(tmf.status).toBe(503);
      expect(tmf.headers.get('retry-after')).toBe('1');
      expect(tmf.body).toEqual({
        '@type': 'Error',
        code: '503',
        reason: 'Service Unavailable',
        message: 'The usage service is unavailable; try again shortly.',
        status: '503',
      });
    });
    expect((await stack.post(JSON.stringify({ query: '{ parties { totalCount } }' }))).status).toBe(200);
  });
});
