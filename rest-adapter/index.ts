// The REST facade as its own process, in front of a gateway at GATEWAY_URL
// (default http://localhost:<GATEWAY_PORT>/graphql).
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { onShutdown } from '../platform/shutdown.js';
import { startRestAdapter } from './server.js';
import { hubSigningSecret } from './signing-secret.js';
import { authFromConfig } from '../platform/authentication.js';
import { serviceTokens } from '../platform/tokens.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'rest', config.logFormat, config.logRequests);
const auth = await authFromConfig(config, (m) => log.warn(m));
const adapter = await startRestAdapter({
  gatewayUrl: config.gatewayUrl ?? `http://localhost:${config.ports.gateway}/graphql`,
  verify: auth.verify,
  publicUrl: config.publicUrl,
  hubSigningSecret: hubSigningSecret(config.hubs.signingSecret, config.dataDir, (m) => log.warn(m)),
  hubPrivateCallbacks: config.hubs.privateCallbacks,
  hubDeliveryToken: serviceTokens(auth.internalSecret),
  anonymousPreflight: config.auth.anonymousPreflight,
  maxListItems: Math.max(1000, config.ingest.maxBatch),
  host: config.host,
  port: config.ports.rest,
  http: config.http,
  bodyLimitBytes: config.bodyLimitBytes,
  paging: config.paging,
  logger: log,
  metrics: config.metrics,
});
log.info(`REST facade ready at ${adapter.url}`);
onShutdown(log, () => adapter.close());
