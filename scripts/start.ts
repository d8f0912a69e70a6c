// `npm start`: the database (FerretDB 2 on PostgreSQL + DocumentDB unless MONGODB_URI is set), the three subgraphs and
// the gateway in one process. Ctrl-C stops everything, the database included.
import { ConfigError, loadConfig } from '../platform/config.js';
import { UsageGraphError } from '../platform/errors.js';
import { DatabaseUnavailableError, startDatabase } from '../platform/local-database.js';
import { createLogger } from '../platform/logger.js';
import { connectMongo, redactUri } from '../platform/mongo.js';
import { onShutdown } from '../platform/shutdown.js';
import { developmentIssuer, tokenKey } from '../platform/auth-keys.js';
import { allScopes } from '../platform/caller.js';
import { mintToken } from '../platform/tokens.js';
import { startSystem } from './system.js';

const started = performance.now();
try {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'usage-graph', config.logFormat, config.logRequests);
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
  // With no key configured (never in production: config.ts refuses), a token for a development
  // tenant with every scope, so the graph is usable at once; loud, since anyone with it is admin.
  const key = tokenKey(config.auth, config.dataDir);
  const devToken =
    key.kind === 'hs256' && key.development
      ? await mintToken(
          { tenant: 'dev-tenant', subject: 'developer', scopes: allScopes },
          {
            secret: key.secret,
            issuer: config.auth.issuer ?? developmentIssuer,
            audience: config.auth.audience,
            tenantClaim: config.auth.tenantClaim,
            ttlSeconds: 7 * 24 * 3600,
          },
        )
      : undefined;
  // The console reads a token from its URL fragment, which browsers never send to a server.
  const consoleUrl = `${new URL(system.gateway.url).origin}/console/`;
  const where =
    database.kind === 'ferretdb'
      ? `FerretDB 2 on PostgreSQL at ${database.uri} (PostgreSQL files in ${config.dataDir}/postgres)`
      : `MongoDB at ${redactUri(database.uri)}`;
  console.log(
    [
      '',
      `Usage graph ready in ${((performance.now() - started) / 1000).toFixed(1)}s.`,
      `  GraphQL gateway         ${system.gateway.url}   (websocket ${system.gateway.wsUrl})`,
      `  TMF635 REST facade      ${system.rest.url}/tmf-api/productUsageManagement/v5/productUsage  (docs ${system.rest.url}/docs)`,
      `  usage console           ${consoleUrl}`,
      ...system.subgraphs.map((s) => `  ${`${s.name} subgraph`.padEnd(24)}${s.url}`),
      `  database                ${where}, database "${config.mongodbDb}"`,
      ...(devToken
        ? [
            '',
            '  !!! DEVELOPMENT AUTHENTICATION: no AUTH_JWKS_URL, AUTH_PUBLIC_KEY_FILE or AUTH_HS256_SECRET is set, so tokens are',
            `  !!! signed with a development key generated into ${config.dataDir}/auth-dev-secret. Never run this way in production.`,
            '  Development token (tenant "dev-tenant", every scope, valid 7 days); send it as Authorization: Bearer <token>:',
            `  DEV_TOKEN=${devToken}`,
            `  The console, signed in: ${consoleUrl}#token=${devToken}`,
          ]
        : []),
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
