// The stock Hive Gateway runtime: createGatewayRuntime with nothing but the supergraph, served by
// node:http as its documentation shows. Prints "ready <url>" once it listens.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

const runtime = createGatewayRuntime({ supergraph: readFileSync(process.env.BENCH_SUPERGRAPH!, 'utf8') });
const server = createServer(runtime);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
console.log(`ready http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
process.once('SIGINT', () => {
  server.closeAllConnections();
  server.close(() => void Promise.resolve(runtime.dispose()).then(() => process.exit(0)));
});
