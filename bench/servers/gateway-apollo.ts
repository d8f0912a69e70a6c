// @apollo/gateway inside @apollo/server with the composed supergraph, as Apollo's documentation
// shows (startStandaloneServer). Prints "ready <url>" once it listens.
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const gateway = new ApolloGateway({ supergraphSdl: readFileSync(process.env.BENCH_SUPERGRAPH!, 'utf8') });
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
console.log(`ready ${url}`);
process.once('SIGINT', () => void server.stop().then(() => process.exit(0)));
