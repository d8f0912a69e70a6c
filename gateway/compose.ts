import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { subgraphNames, type SubgraphName } from '../platform/subgraphs.js';

export { subgraphNames, type SubgraphName };

/**
 * Supergraph composition with @theguild/federation-composition (MIT). The gateway composes from
 * the SDL the running subgraphs report at start-up; codegen and `npm run compose` use the same code.
 */
export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

export interface Composed {
  supergraphSdl: string;
  publicSdl: string;
}

export class CompositionError extends Error {
  override name = 'CompositionError';
}

export function compose(subgraphs: readonly SubgraphSource[]): Composed {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors?.length || !result.supergraphSdl || !result.publicSdl) {
    const why = result.errors?.map((e) => e.message).join('; ') ?? 'no supergraph produced';
    throw new CompositionError(`Supergraph composition failed: ${why}`);
  }
  return { supergraphSdl: result.supergraphSdl, publicSdl: result.publicSdl };
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Composes from schema/*.graphql, with each subgraph's routing URL given (placeholders when unknown). */
export function composeFromFiles(urls: Partial<Record<SubgraphName, string>> = {}): Composed {
  return compose(
    subgraphNames.map((name) => ({
      name,
      url: urls[name] ?? `http://localhost/${name}/graphql`,
      sdl: readFileSync(path.join(root, 'schema', `${name}.graphql`), 'utf8'),
    })),
  );
}
