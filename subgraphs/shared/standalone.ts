import path from 'node:path';
import type { Db } from 'mongodb';
import { createEventBus, type EventBus } from '../../platform/event-bus.js';
import type { Logger } from '../../platform/logger.js';
import { loadConfig, type Config } from '../../platform/config.js';
import { startDatabase } from '../../platform/local-database.js';
import { createLogger } from '../../platform/logger.js';
import { connectMongo, openDatabase } from '../../platform/mongo.js';
import { onShutdown } from '../../platform/shutdown.js';
import { startSubgraph, type SubgraphDefinition, type SubgraphName } from './subgraph-server.js';
import { authFromConfig } from '../../platform/authentication.js';
import { instrumentDatabase, Metrics } from '../../platform/metrics.js';

/** The settings every subgraph takes from the configuration. */
export const subgraphSettings = (config: Config) => ({
  paging: config.paging,
  exportDirectory: path.resolve(config.dataDir, 'exports'),
  hubRetry: config.hubs.retry,
  ingest: config.ingest,
  hubPrivateCallbacks: config.hubs.privateCallbacks,
  exportMaxConcurrent: config.limits.exportMaxConcurrent,
  exportStaleMs: config.limits.exportStaleMs,
});

/**
 * Entry point of one subgraph run as its own process (subgraphs/<name>/index.ts). Several such
 * processes must share one database: set MONGODB_URI, or each would start an embedded FerretDB.
 */
export async function runStandalone<C extends object>(
  name: SubgraphName,
  build: (db: Db, settings: ReturnType<typeof subgraphSettings>, logger: Logger, bus: EventBus) => Promise<SubgraphDefinition<C>>,
): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, name, config.logFormat, config.logRequests);
  const database = await startDatabase({ mongodbUri: config.mongodbUri, dataDir: config.dataDir, log: (m) => log.info(m) });
  const client = await connectMongo(database.uri);
  const metrics = new Metrics(name);
  if (config.metrics) instrumentDatabase(client, metrics);
  const auth = await authFromConfig(config, (m) => log.warn(m));
  const bus = await createEventBus(config.redisUrl);
  const db = openDatabase(client, config.mongodbDb, config.mongodbTimeoutMs);
  const running = await startSubgraph(await build(db, subgraphSettings(config), log, bus), {
    db,
    host: config.host,
    port: config.ports[name],
    bodyLimitBytes: config.bodyLimitBytes,
    http: config.http,
    internalAuth: { secret: auth.internalSecret, maxAgeSeconds: config.auth.internalMaxAgeSeconds },
    logger: log,
    ...(config.metrics ? { metrics: { metrics, verify: auth.verify } } : {}),
  });
  log.info(`${name} subgraph ready at ${running.url}`);
  onShutdown(log, async () => {
    await running.close();
    await bus.close();
    await client.close();
    await database.stop();
  });
}
