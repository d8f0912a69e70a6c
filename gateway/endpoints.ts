import type { Config } from '../platform/config.js';
import { subgraphNames } from '../platform/subgraphs.js';
import type { SubgraphEndpoint } from './supergraph.js';

/** Where each subgraph answers when the gateway does not run them itself. */
export function subgraphEndpoints(config: Config): SubgraphEndpoint[] {
  const local = (port: number) => `http://localhost:${port}/graphql`;
  return subgraphNames.map((name) => ({ name, url: config.subgraphUrls[name] ?? local(config.ports[name]) }));
}
