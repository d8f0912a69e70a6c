// The load generator, run by load.ts as its own `node` process so that it never shares an event loop
// with the system under test. It takes one JSON argument, fires a thrown-away warm-up, says
// "warmed" and waits for a line on stdin (the parent waits for the server to finish the warm-up's
// last requests), then says "measuring", fires the measured run and prints one JSON line.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import type { LoadRequest, LoadResult } from './load.js';

const request = JSON.parse(process.argv[2]!) as LoadRequest;
let next = 0;
const variants = request.variants ?? [];
const options = {
  // autocannon 9 takes an array of URLs too (lib/run.js: connection i goes to url i % n); autocannon.d.ts declares the string only.
  url: (request.urls ?? request.url) as string,
  method: request.method,
  headers: request.headers,
  body: request.body,
  connections: request.connections,
  // A slow database must show up as latency, not as failed requests.
  timeout: 120,
  ...(variants.length
    ? {
        requests: [
          {
            setupRequest: (req: Record<string, unknown>) => {
              const variant = variants[next++ % variants.length]!;
              return { ...req, ...(variant.path ? { path: variant.path } : {}), ...(variant.body ? { body: variant.body } : {}) };
            },
          },
        ],
      }
    : {}),
};
if (request.warmup > 0) await autocannon({ ...options, duration: request.warmup });
process.stdout.write('warmed\n');
await once(createInterface({ input: process.stdin }), 'line');
process.stdout.write('measuring\n');
const result = await autocannon({ ...options, duration: request.duration });
const summary: LoadResult = {
  requestsPerSecond: result.requests.average,
  latencyP50: result.latency.p50,
  latencyP99: result.latency.p99,
  latencyMean: result.latency.mean,
  requests: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  seconds: result.duration,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
