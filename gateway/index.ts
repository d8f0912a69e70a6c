// The gateway as its own process, over subgraphs running elsewhere (USAGE_URL, SPECIFICATION_URL,
// PARTY_URL, defaulting to localhost on their standard ports), or over a SUPERGRAPH_PATH file.
import { loadConfig } from '../platform/config.js';
import { createEventBus } from '../platform/event-bus.js';
import { createLogger } from '../platform/logger.js';
import { onShutdown } from '../platform/shutdown.js';
import { authFromConfig } from '../platform/authentication.js';
import { gatewaySettings } from './settings.js';
import { subgraphEndpoints } from './endpoints.js';
import { startGateway } from './server.js';
import { loadSupergraph } from './supergraph.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'gateway', config.logFormat, config.logRequests);
const subgraphs = subgraphEndpoints(config);
const auth = await authFromConfig(config, (m) => log.warn(m));
const supergraphSdl = await loadSupergraph({ supergraphPath: config.supergraphPath, subgraphs, internalSecret: auth.internalSecret });
// With REDIS_URL, entity cache evictions reach every gateway instance (gateway/entity-cache.ts).
const bus = await createEventBus(config.redisUrl);
const gateway = await startGateway({
  supergraphSdl,
  ...gatewaySettings(config),
  usageSubgraphUrl: subgraphs.find((s) => s.name === 'usage')!.url,
  auth,
  bus,
  logger: log,
});
log.info(`gateway ready at ${gateway.url}`);
onShutdown(log, async () => {
  await gateway.close();
  await bus.close();
});
