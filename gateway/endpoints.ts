import type { Config } from '../subgraphs/shared/config.js';
import type { SubgraphEndpoint } from './supergraph.js';

/** Where each subgraph answers when the gateway does not run them itself. */
export function subgraphEndpoints(config: Config): SubgraphEndpoint[] {
  const local = (port: number) => `http://localhost:${port}/graphql`;
  return [
    { name: 'usage', url: config.subgraphUrls.usage ?? local(config.ports.usage) },
    { name: 'specification', url: config.subgraphUrls.specification ?? local(config.ports.specification) },
    { name: 'party', url: config.subgraphUrls.party ?? local(config.ports.party) },
  ];
}
