// `npm run compose [out]`: writes the supergraph (default ./supergraph.graphql) for a production
// gateway started with SUPERGRAPH_PATH. The SDL comes from schema/*.graphql, the routing URLs from
// USAGE_URL, SPECIFICATION_URL and PARTY_URL (or localhost on the configured ports).
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../platform/config.js';
import { composeFromFiles } from './compose.js';
import { subgraphEndpoints } from './endpoints.js';

const out = process.argv[2] ?? 'supergraph.graphql';
const urls = Object.fromEntries(subgraphEndpoints(loadConfig()).map((s) => [s.name, s.url]));
writeFileSync(out, composeFromFiles(urls).supergraphSdl);
console.log(
  `Wrote ${out} (routing: ${Object.entries(urls)
    .map(([n, u]) => `${n} ${u}`)
    .join(', ')}).`,
);
