// `npm run rollups:repair`: after usages were loaded, changed or deleted around the API (with the
// driver, a restore), brings the rollups behind counts and KPI aggregates in line with the usages
// (subgraphs/usage/rollups/repair.ts). Safe while the system runs; the usage subgraphs also run
// it every ROLLUP_REPAIR_MINUTES.
import { loadConfig } from '../platform/config.js';
import { startDatabase } from '../platform/local-database.js';
import { createLogger } from '../platform/logger.js';
import { connectMongo } from '../platform/mongo.js';
import { repairRollups } from '../subgraphs/usage/rollups/repair.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'usage-graph', config.logFormat);
const database = await startDatabase({ mongodbUri: config.mongodbUri, dataDir: config.dataDir, log: (m) => log.info(m) });
const client = await connectMongo(database.uri);
try {
  const { marked, seconds } = await repairRollups(client.db(config.mongodbDb), log);
  log.info(`rollups repaired: ${marked} bucket(s) differed from their usages and were recomputed (${seconds.toFixed(1)} s)`);
} finally {
  await client.close();
  await database.stop();
}
