import { runStandalone } from '../shared/standalone.js';
import { buildUsageSubgraph } from './server.js';

await runStandalone('usage', buildUsageSubgraph);
