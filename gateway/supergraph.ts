import { readFile } from 'node:fs/promises';
import { compose, type SubgraphName } from './compose.js';
import { gatewayCaller } from '../platform/caller.js';
import { signCaller } from '../platform/internal-signature.js';
import { fetchSubgraphSdl } from './subgraph-sdl.js';

export interface SubgraphEndpoint {
  name: SubgraphName;
  url: string;
}

/**
 * The supergraph the gateway serves: a file written by `npm run compose` when SUPERGRAPH_PATH is
 * set (production: the schema is reviewed and versioned), otherwise composed at start-up from the
 * SDL the running subgraphs report (development: always current).
 */
export async function loadSupergraph(options: {
  supergraphPath?: string;
  subgraphs: readonly SubgraphEndpoint[];
  /** The internal secret: subgraphs give their SDL only to a signed request. */
  internalSecret: string;
}): Promise<string> {
  if (options.supergraphPath) return readFile(options.supergraphPath, 'utf8');
  const headers = () => signCaller(options.internalSecret, gatewayCaller);
  const sources = await Promise.all(options.subgraphs.map(async ({ name, url }) => ({ name, url, sdl: await fetchSubgraphSdl(url, { headers }) })));
  return compose(sources).supergraphSdl;
}
