import { runStandalone } from '../shared/standalone.js';
import { buildPartySubgraph } from './server.js';

await runStandalone('party', buildPartySubgraph);
