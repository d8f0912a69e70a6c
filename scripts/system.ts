import type { MongoClient } from 'mongodb';
import type { Config } from '../platform/config.js';
import { openDatabase } from '../platform/mongo.js';
import { createEventBus, type EventBus } from '../platform/event-bus.js';
import type { Logger } from '../platform/logger.js';
import { subgraphNames, type SubgraphName } from '../platform/subgraphs.js';
import { subgraphSettings } from '../subgraphs/shared/standalone.js';
import { startSubgraph, type RunningSubgraph, type SubgraphDefinition } from '../subgraphs/shared/subgraph-server.js';
import { buildPartySubgraph } from '../subgraphs/party/server.js';
import { buildSpecificationSubgraph } from '../subgraphs/specification/server.js';
import { buildUsageSubgraph } from '../subgraphs/usage/server.js';
import { gatewaySettings } from '../gateway/settings.js';
import { authFromConfig } from '../platform/authentication.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { loadSupergraph } from '../gateway/supergraph.js';
import { startRestAdapter, type RunningRestAdapter } from '../rest-adapter/server.js';
import { hubSigningSecret } from '../rest-adapter/signing-secret.js';
import { serviceTokens } from '../platform/tokens.js';
import { instrumentDatabase, Metrics } from '../platform/metrics.js';

export interface RunningSystem {
  bus: EventBus;
  gateway: RunningGateway;
  rest: RunningRestAdapter;
  subgraphs: RunningSubgraph[];
  close(): Promise<void>;
}

/**
 * The three subgraphs, the gateway and the REST facade in one process, on the configured ports (0 = any free port),
 * over one database connection. `npm start` and the integration tests both run the system this way.
 */
export async function startSystem(config: Config, client: MongoClient, logger: Logger): Promise<RunningSystem> {
  const db = openDatabase(client, config.mongodbDb, config.mongodbTimeoutMs);
  const settings = subgraphSettings(config);
  const auth = await authFromConfig(config, (m) => logger.warn(m));
  const bus = await createEventBus(config.redisUrl);
  // The contexts differ per subgraph; startSubgraph only passes each its own.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const builders: Record<SubgraphName, () => Promise<SubgraphDefinition<any>>> = {
    usage: () => buildUsageSubgraph(db, settings, logger, bus),
    specification: () => buildSpecificationSubgraph(db, settings),
    party: () => buildPartySubgraph(db, settings),
  };
  const definitions = await Promise.all(subgraphNames.map((name) => builders[name]()));
  const subgraphs: RunningSubgraph[] = [];
  // One database connection for the three: its commands are the usage subgraph's series here (each
  // standalone subgraph counts its own).
  const metricsOf = new Map(definitions.map((definition) => [definition.name, new Metrics(definition.name)]));
  if (config.metrics) instrumentDatabase(client, metricsOf.get('usage')!);
  try {
    for (const definition of definitions) {
      subgraphs.push(
        await startSubgraph(definition, {
          db,
          host: config.host,
          port: config.ports[definition.name],
          bodyLimitBytes: config.bodyLimitBytes,
          http: config.http,
          internalAuth: { secret: auth.internalSecret, maxAgeSeconds: config.auth.internalMaxAgeSeconds },
          logger,
          ...(config.metrics ? { metrics: { metrics: metricsOf.get(definition.name)!, verify: auth.verify } } : {}),
        }),
      );
    }
    const supergraphSdl = await loadSupergraph({
      supergraphPath: config.supergraphPath,
      subgraphs: subgraphs.map(({ name, url }) => ({ name, url })),
      internalSecret: auth.internalSecret,
    });
    const gateway = await startGateway({
      supergraphSdl,
      ...gatewaySettings(config),
      usageSubgraphUrl: subgraphs.find((s) => s.name === 'usage')!.url,
      auth,
      bus,
      logger,
    });
    const rest = await startRestAdapter({
      gatewayUrl: gateway.url,
      verify: auth.verify,
      hubSigningSecret: hubSigningSecret(config.hubs.signingSecret, config.dataDir, (m) => logger.warn(m)),
      hubPrivateCallbacks: config.hubs.privateCallbacks,
      hubDeliveryToken: serviceTokens(auth.internalSecret),
      anonymousPreflight: config.auth.anonymousPreflight,
      maxListItems: Math.max(1000, config.ingest.maxBatch),
      publicUrl: config.publicUrl,
      host: config.host,
      port: config.ports.rest,
      bodyLimitBytes: config.bodyLimitBytes,
      paging: config.paging,
      http: config.http,
      logger,
      metrics: config.metrics,
    }).catch(async (error: unknown) => {
      await gateway.close();
      throw error;
    });
    const system: RunningSystem = {
      bus,
      gateway,
      rest,
      subgraphs,
      async close() {
        // The parts as they are now: a test may have swapped in a restarted REST adapter.
        await system.rest.close();
        await system.gateway.close();
        await Promise.all(subgraphs.map((s) => s.close()));
        await bus.close();
      },
    };
    return system;
  } catch (error) {
    await Promise.all(subgraphs.map((s) => s.close()));
    await bus.close();
    throw error;
  }
}
