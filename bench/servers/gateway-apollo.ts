// @apollo/gateway inside @apollo/server with the composed supergraph, as Apollo's documentation
// shows (startStandaloneServer). Prints "ready <url>" once it listens.
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { signedBenchCaller } from '../auth.js';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

// The subgraphs answer only gateway-signed requests (docs/security.md): the one addition to the
// defaults signs the bench's caller into each subgraph request, as our gateway does for a verified token.
class SignedDataSource extends RemoteGraphQLDataSource {
  override willSendRequest({ request }: Parameters<NonNullable<RemoteGraphQLDataSource['willSendRequest']>>[0]) {
    for (const [name, value] of Object.entries(signedBenchCaller())) request.http?.headers.set(name, value);
  }
}
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.BENCH_SUPERGRAPH!, 'utf8'),
  buildService: ({ url }) => new SignedDataSource({ url }),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
console.log(`ready ${url}`);
process.once('SIGINT', () => void server.stop().then(() => process.exit(0)));
