// `npm start`: the database (embedded FerretDB unless MONGODB_URI is set), the three subgraphs and
// the gateway in one process. Ctrl-C stops everything, the database included.
import { ConfigError, loadConfig } from '../subgraphs/shared/config.js';
import { UsageGraphError } from '../subgraphs/shared/errors.js';
import { DatabaseUnavailableError, startDatabase } from '../subgraphs/shared/local-database.js';
import { createLogger } from '../subgraphs/shared/logger.js';
import { connectMongo, redactUri } from '../subgraphs/shared/mongo.js';
import { onShutdown } from '../subgraphs/shared/shutdown.js';
import { startSystem } from './system.js';

const started = performance.now();
try {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const database = await startDatabase({ mongodbUri: config.mongodbUri, dataDir: config.dataDir, log: (m) => log.info(m) });
  const client = await connectMongo(database.uri);
  const system = await startSystem(config, client, log).catch(async (error: unknown) => {
    await client.close();
    await database.stop();
    throw error;
  });
  onShutdown(log, async () => {
    await system.close();
    await client.close();
    await database.stop();
  });
  const where = database.kind === 'ferretdb' ? `embedded FerretDB at ${database.uri} (files in ${config.dataDir}/ferretdb)` : `MongoDB at ${redactUri(database.uri)}`;
  console.log(
    [
      '',
      `Usage graph ready in ${((performance.now() - started) / 1000).toFixed(1)}s.`,
      `  GraphQL gateway         ${system.gateway.url}   (websocket ${system.gateway.wsUrl})`,
      `  TMF635 REST facade      ${system.rest.url}/tmf-api/productUsageManagement/v5/productUsage  (docs ${system.rest.url}/docs)`,
      ...system.subgraphs.map((s) => `  ${`${s.name} subgraph`.padEnd(24)}${s.url}`),
      `  database                ${where}, database "${config.mongodbDb}"`,
      config.env !== 'production' ? `  Open ${system.gateway.url} in a browser for GraphiQL. Ctrl-C stops everything.` : '',
      '',
    ].join('\n'),
  );
} catch (error) {
  if (error instanceof ConfigError || error instanceof DatabaseUnavailableError || error instanceof UsageGraphError) {
    console.error(`Start-up failed: ${error.message}`);
  } else {
    console.error('Start-up failed:', error);
  }
  process.exit(1);
}
