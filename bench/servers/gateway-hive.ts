// The stock Hive Gateway runtime: createGatewayRuntime with the supergraph and default settings,
// served by node:http as its documentation shows. Prints "ready <url>" once it listens.
// BENCH_RUST_PLANNER=1 (a lever run, `--levers`): the same with the Rust query planner of
// @graphql-hive/router-runtime (`unifiedGraphHandler`) and nothing else changed.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { signedBenchCaller } from '../auth.js';

// The subgraphs answer only gateway-signed requests (docs/security.md): the one addition to the
// defaults signs the bench's caller into each subgraph request, as our gateway does for a verified token.
const signUpstream: GatewayPlugin = {
  onFetch({ options, setOptions }) {
    setOptions({ ...options, headers: { ...(options.headers as Record<string, string>), ...signedBenchCaller() } });
  },
};

const rustPlanner = process.env.BENCH_RUST_PLANNER === '1' ? { unifiedGraphHandler: (await import('@graphql-hive/router-runtime')).unifiedGraphHandler } : {};
const runtime = createGatewayRuntime({ supergraph: readFileSync(process.env.BENCH_SUPERGRAPH!, 'utf8'), ...rustPlanner, plugins: () => [signUpstream] });
// The adapter's Node request listener, the one the adapter itself calls for a Node request: it
// answers (or logs) every failure itself, so the promise it returns never rejects; Node's type says so.
const server = createServer(runtime.requestListener);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
console.log(`ready http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
process.once('SIGINT', () => {
  server.closeAllConnections();
  server.close(() => void Promise.resolve(runtime.dispose()).then(() => process.exit(0)));
});
