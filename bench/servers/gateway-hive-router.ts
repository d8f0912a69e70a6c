// A lever measured, not adopted: the stock Hive Gateway runtime with the Rust query planner of
// @graphql-hive/router-runtime (`unifiedGraphHandler`), otherwise as gateway-hive.ts.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

const runtime = createGatewayRuntime({ supergraph: readFileSync(process.env.BENCH_SUPERGRAPH!, 'utf8'), unifiedGraphHandler });
const server = createServer(runtime);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
console.log(`ready http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
process.once('SIGINT', () => {
  server.closeAllConnections();
  server.close(() => void Promise.resolve(runtime.dispose()).then(() => process.exit(0)));
});
