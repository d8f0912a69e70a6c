import { runStandalone } from '../shared/standalone.js';
import { buildSpecificationSubgraph } from './server.js';

await runStandalone('specification', buildSpecificationSubgraph);
