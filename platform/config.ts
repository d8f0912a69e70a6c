import { z } from 'zod';
import type { SubgraphName } from './subgraphs.js';

/**
 * The one place that reads the environment. Every entry point calls loadConfig() once at boot;
 * a bad value stops start-up with a message that names the variable. `.env.example` lists them all.
 */
const port = z.coerce.number().int().min(0).max(65535);
const url = z.string().url();

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: port.default(4000),
  USAGE_PORT: port.default(4001),
  SPECIFICATION_PORT: port.default(4002),
  PARTY_PORT: port.default(4003),
  REST_PORT: port.default(8080),
  USAGE_URL: url.optional(),
  SPECIFICATION_URL: url.optional(),
  PARTY_URL: url.optional(),
  SUPERGRAPH_PATH: z.string().min(1).optional(),
  GATEWAY_URL: url.optional(),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  MONGODB_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'letters, digits, _ and - only, at most 63 characters')
    .default('usage_graph'),
  DATA_DIR: z.string().min(1).default('.data'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  PUBLIC_URL: url.default('http://localhost:8080'),
  DEFAULT_PAGE_SIZE: z.coerce.number().int().min(1).default(20),
  MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // json (one JSON object per line) or pretty; unset: json in production, pretty otherwise.
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  // One log line per request at info (docs/observability.md); off leaves them out whatever LOG_LEVEL says.
  LOG_REQUESTS: z.enum(['on', 'off']).default('on'),
  // GET /metrics and the instrumentation behind it on every service (docs/observability.md).
  METRICS: z.enum(['on', 'off']).default('on'),
  HUB_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1_000),
  HUB_RETRY_MAX_MS: z.coerce.number().int().min(1).default(300_000),
  HUB_MAX_FAILURES: z.coerce.number().int().min(1).default(10),
  HUB_SIGNING_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  INGEST_MAX_BATCH: z.coerce.number().int().min(1).max(10_000).default(1000),
  INGEST_MAX_JOB_USAGES: z.coerce.number().int().min(1).max(100_000).default(10_000),
  INGEST_JOB_CHUNK_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  INGEST_JOB_STALE_MS: z.coerce.number().int().min(1_000).default(60_000),
  INGEST_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  INGEST_JOB_LIST_LIMIT: z.coerce.number().int().min(1).default(1000),
  INGEST_LATE_WINDOW_DAYS: z.coerce.number().int().min(0).default(45),
  INGEST_DEFAULT_PROVIDER: z.string().min(1).max(200).default('default'),
  // The rollup repair pass (subgraphs/usage/rollups/repair.ts): minutes between two, 0 for none.
  ROLLUP_REPAIR_MINUTES: z.coerce.number().min(0).default(360),
  HUB_PRIVATE_CALLBACKS: z.enum(['allow', 'deny']).optional(),
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(65_536).default(4_194_304),
  WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(262_144),
  WS_KEEPALIVE_MS: z.coerce.number().int().min(1_000).default(12_000),
  AUTH_JWKS_URL: url.optional(),
  AUTH_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  AUTH_PUBLIC_KEY_ALG: z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']).default('RS256'),
  AUTH_HS256_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_TENANT_CLAIM: z.string().min(1).max(200).default('tenant'),
  INTERNAL_AUTH_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  INTERNAL_AUTH_MAX_AGE_S: z.coerce.number().int().min(1).max(3600).default(60),
  TMF_ANONYMOUS_PREFLIGHT: z.enum(['empty', 'refuse']).default('empty'),
  RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(200),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(400),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).default(12),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(30),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(1).default(100_000),
  WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).default(20),
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  DB_TIMEOUT_MS: z.coerce.number().int().min(1).optional(),
  QUERY_PLANNER: z.enum(['rust', 'js']).default('rust'),
  ENTITY_CACHE_TTL_SECONDS: z.coerce.number().min(0).max(86_400).default(30),
  ENTITY_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).default(50_000),
  EXPORT_MAX_CONCURRENT: z.coerce.number().int().min(1).default(4),
  EXPORT_JOB_STALE_MS: z.coerce.number().int().min(1_000).default(60_000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(10_000),
  HTTP_KEEPALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(75_000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
});

export type Env = z.input<typeof schema>;

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  ports: Record<'gateway' | 'rest' | SubgraphName, number>;
  /** Explicit subgraph URLs for a gateway that does not run the subgraphs itself. */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  supergraphPath?: string;
  /** The gateway a standalone REST facade talks to. */
  gatewayUrl?: string;
  mongodbUri?: string;
  mongodbDb: string;
  /** DB_TIMEOUT_MS: the most one database command may take (mongo.ts openDatabase). */
  mongodbTimeoutMs: number;
  dataDir: string;
  /** Redis for events shared by several instances; unset: in-process delivery. */
  redisUrl?: string;
  /** Base of every href the graph hands out (the REST facade's public address). */
  publicUrl: string;
  paging: { defaultSize: number; maxSize: number };
  bodyLimitBytes: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** LOG_FORMAT: JSON lines for a log pipeline, or a readable line for a terminal (platform/logger.ts). */
  logFormat: 'json' | 'pretty';
  /** LOG_REQUESTS: one line per request at info. */
  logRequests: boolean;
  /** METRICS: GET /metrics and its instrumentation on every service. */
  metrics: boolean;
  hubs: {
    retry: { baseMs: number; maxMs: number; maxFailures: number };
    signingSecret?: string;
    /** Whether callbacks may point at loopback, private or link-local addresses (see docs/events.md). */
    privateCallbacks: 'allow' | 'deny';
  };
  websocket: { maxBufferedBytes: number; maxMessageBytes: number; keepAliveMs: number };
  ingest: IngestConfig;
  auth: AuthConfig;
  limits: LimitsConfig;
  gateway: GatewayTuning;
  /** Connection limits of every HTTP server (gateway, REST facade, subgraphs): docs/security.md, "Limits". */
  http: HttpLimits;
}

/**
 * Connection limits of one HTTP server (each listening server of a process has its own). Node closes
 * what exceeds them itself (measured on Node 24, tests/integration/connections.test.ts):
 * - a connection beyond `maxConnections` is accepted and closed at once, without a byte;
 * - a connection that sends nothing, or stops inside the request line or headers, is answered
 *   `408 Request Timeout` and closed `headersTimeoutMs` after it opened (or after the request's first
 *   byte), give or take `checkIntervalMs`; one whose body is unfinished after `requestTimeoutMs` too;
 * - an idle keep-alive connection is closed without a byte `keepAliveTimeoutMs` after its last
 *   response, plus the 1 s Node 24 adds (`keepAliveTimeoutBuffer`) to what the response advertises
 *   (`Keep-Alive: timeout=<s>`), so a client that honours the hint never reuses one being closed.
 * Upgraded connections (websockets) are out of the HTTP timeouts' reach: graphql-ws pings them
 * instead (WS_KEEPALIVE_MS at the gateway, 12 s at the subgraphs). They do count against `maxConnections`.
 */
export interface HttpLimits {
  maxConnections: number;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** How often Node looks for connections past the headers or request timeout (Node's default is 30 s). */
  checkIntervalMs: number;
}

/** Every 5 s, or four times per headers timeout when that is shorter (never under 100 ms). */
const checkInterval = (headersTimeoutMs: number) => Math.max(100, Math.min(5_000, Math.floor(headersTimeoutMs / 4)));

/** The limits with nothing configured (servers started without a configuration: tests, bench). */
export const defaultHttpLimits: HttpLimits = {
  maxConnections: 10_000,
  keepAliveTimeoutMs: 75_000,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 60_000,
  checkIntervalMs: checkInterval(20_000),
};

/** The node:http createServer options that carry `limits` (maxConnections is set on the server). */
export const httpServerOptions = (limits: HttpLimits) => ({
  keepAliveTimeout: limits.keepAliveTimeoutMs,
  headersTimeout: limits.headersTimeoutMs,
  requestTimeout: limits.requestTimeoutMs,
  connectionsCheckingInterval: limits.checkIntervalMs,
});

/** How the gateway plans and runs operations (docs/architecture.md, "The gateway"). */
export interface GatewayTuning {
  /** The Rust query planner of Hive Router (default), or the runtime's JavaScript planner. */
  queryPlanner: 'rust' | 'js';
  /** Reference entities (parties, specifications) kept in memory; ttlSeconds 0 turns it off. */
  entityCache: { ttlSeconds: number; maxEntries: number };
}

/** Limits against overload and abuse (docs/security.md, "Limits"). */
export interface LimitsConfig {
  /** Requests per second per tenant, sustained (0: no rate limit), and the burst above it. */
  ratePerSecond: number;
  rateBurst: number;
  graphql: { maxDepth: number; maxAliases: number; maxCost: number };
  /** Subscriptions one websocket connection may hold at once. */
  wsMaxSubscriptions: number;
  /** How long the gateway waits for a subgraph's answer. */
  subgraphTimeoutMs: number;
  /** Export jobs waiting or running at once; another is refused (429) until one finishes. */
  exportMaxConcurrent: number;
  /** A running export silent this long is taken over by another usage subgraph (EXPORT_JOB_STALE_MS). */
  exportStaleMs: number;
}

/** Authentication (docs/security.md); keys are resolved by platform/auth-keys.ts. */
export interface AuthConfig {
  jwksUrl?: string;
  publicKeyFile?: string;
  publicKeyAlg: string;
  /** HS256 secret: development and tests only (refused in production). */
  hs256Secret?: string;
  issuer?: string;
  audience?: string;
  /** The claim that names the caller's tenant. */
  tenantClaim: string;
  /** Key of the gateway -> subgraph signature (and the webhook worker's service tokens). */
  internalSecret?: string;
  internalMaxAgeSeconds: number;
  /** What an unauthenticated GET of the v4 usage collection gets (the conformance kit's preflight). */
  anonymousPreflight: 'empty' | 'refuse';
}

/** Ingestion limits (docs/ingestion.md). */
export interface IngestConfig {
  maxBatch: number;
  maxJobUsages: number;
  jobChunkSize: number;
  jobStaleMs: number;
  /** Jobs one usage process runs at once (bench/RESULTS.md, ingestion: 2 left the database idle between a job's round trips). */
  jobConcurrency: number;
  jobListLimit: number;
  lateWindowDays: number;
  defaultProvider: string;
  /** Minutes between two rollup repair passes; 0: none (rollups/repair.ts). */
  rollupRepairMinutes: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset": shells and .env files often export VAR= for defaults.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration (${problems}). See .env.example for every variable.`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && (!e.INTERNAL_AUTH_SECRET || (!e.AUTH_JWKS_URL && !e.AUTH_PUBLIC_KEY_FILE))) {
    throw new ConfigError(
      'NODE_ENV=production needs real keys: set AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE, and INTERNAL_AUTH_SECRET (an HS256 development secret is not accepted).',
    );
  }
  if (e.DEFAULT_PAGE_SIZE > e.MAX_PAGE_SIZE) {
    throw new ConfigError(`Invalid configuration (DEFAULT_PAGE_SIZE ${e.DEFAULT_PAGE_SIZE} exceeds MAX_PAGE_SIZE ${e.MAX_PAGE_SIZE}).`);
  }
  // A database call that outlived the gateway's wait would be cancelled by nobody and answered to
  // nobody. Unset, it is 10 s, or less to leave the subgraph a fifth of a shorter SUBGRAPH_TIMEOUT_MS.
  const dbTimeoutMs = e.DB_TIMEOUT_MS ?? Math.max(1, Math.min(10_000, Math.floor(e.SUBGRAPH_TIMEOUT_MS * 0.8)));
  if (e.DB_TIMEOUT_MS !== undefined && e.DB_TIMEOUT_MS >= e.SUBGRAPH_TIMEOUT_MS) {
    throw new ConfigError(`Invalid configuration (DB_TIMEOUT_MS ${e.DB_TIMEOUT_MS} must be below SUBGRAPH_TIMEOUT_MS ${e.SUBGRAPH_TIMEOUT_MS}).`);
  }
  // Node refuses to start a server whose headers timeout is longer than its request timeout.
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      `Invalid configuration (HTTP_HEADERS_TIMEOUT_MS ${e.HTTP_HEADERS_TIMEOUT_MS} must not exceed HTTP_REQUEST_TIMEOUT_MS ${e.HTTP_REQUEST_TIMEOUT_MS}).`,
    );
  }
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    ports: {
      gateway: e.GATEWAY_PORT,
      usage: e.USAGE_PORT,
      specification: e.SPECIFICATION_PORT,
      party: e.PARTY_PORT,
      rest: e.REST_PORT,
    },
    subgraphUrls: { usage: e.USAGE_URL, specification: e.SPECIFICATION_URL, party: e.PARTY_URL },
    supergraphPath: e.SUPERGRAPH_PATH,
    gatewayUrl: e.GATEWAY_URL,
    mongodbUri: e.MONGODB_URI,
    mongodbDb: e.MONGODB_DB,
    mongodbTimeoutMs: dbTimeoutMs,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    publicUrl: e.PUBLIC_URL.replace(/\/+$/, ''),
    paging: { defaultSize: e.DEFAULT_PAGE_SIZE, maxSize: e.MAX_PAGE_SIZE },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'production' ? 'json' : 'pretty'),
    logRequests: e.LOG_REQUESTS === 'on',
    metrics: e.METRICS === 'on',
    hubs: {
      retry: { baseMs: e.HUB_RETRY_BASE_MS, maxMs: e.HUB_RETRY_MAX_MS, maxFailures: e.HUB_MAX_FAILURES },
      signingSecret: e.HUB_SIGNING_SECRET,
      // Production refuses private targets unless told otherwise: a partner-supplied URL must not
      // reach into the operator's own network (SSRF). Development and tests call local receivers.
      privateCallbacks: e.HUB_PRIVATE_CALLBACKS ?? (e.NODE_ENV === 'production' ? 'deny' : 'allow'),
    },
    ingest: {
      maxBatch: e.INGEST_MAX_BATCH,
      maxJobUsages: e.INGEST_MAX_JOB_USAGES,
      jobChunkSize: e.INGEST_JOB_CHUNK_SIZE,
      jobStaleMs: e.INGEST_JOB_STALE_MS,
      jobConcurrency: e.INGEST_JOB_CONCURRENCY,
      jobListLimit: e.INGEST_JOB_LIST_LIMIT,
      lateWindowDays: e.INGEST_LATE_WINDOW_DAYS,
      defaultProvider: e.INGEST_DEFAULT_PROVIDER,
      rollupRepairMinutes: e.ROLLUP_REPAIR_MINUTES,
    },
    websocket: { maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES, maxMessageBytes: e.WS_MAX_MESSAGE_BYTES, keepAliveMs: e.WS_KEEPALIVE_MS },
    auth: {
      jwksUrl: e.AUTH_JWKS_URL,
      publicKeyFile: e.AUTH_PUBLIC_KEY_FILE,
      publicKeyAlg: e.AUTH_PUBLIC_KEY_ALG,
      // A shared secret lets whoever verifies also mint tokens: fine on a laptop, not in production.
      hs256Secret: e.NODE_ENV === 'production' ? undefined : e.AUTH_HS256_SECRET,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      tenantClaim: e.AUTH_TENANT_CLAIM,
      internalSecret: e.INTERNAL_AUTH_SECRET,
      internalMaxAgeSeconds: e.INTERNAL_AUTH_MAX_AGE_S,
      anonymousPreflight: e.TMF_ANONYMOUS_PREFLIGHT,
    },
    limits: {
      ratePerSecond: e.RATE_LIMIT_PER_SECOND,
      rateBurst: e.RATE_LIMIT_BURST,
      graphql: { maxDepth: e.GRAPHQL_MAX_DEPTH, maxAliases: e.GRAPHQL_MAX_ALIASES, maxCost: e.GRAPHQL_MAX_COST },
      wsMaxSubscriptions: e.WS_MAX_SUBSCRIPTIONS,
      subgraphTimeoutMs: e.SUBGRAPH_TIMEOUT_MS,
      exportMaxConcurrent: e.EXPORT_MAX_CONCURRENT,
      exportStaleMs: e.EXPORT_JOB_STALE_MS,
    },
    gateway: {
      queryPlanner: e.QUERY_PLANNER,
      entityCache: { ttlSeconds: e.ENTITY_CACHE_TTL_SECONDS, maxEntries: e.ENTITY_CACHE_MAX_ENTRIES },
    },
    http: {
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      keepAliveTimeoutMs: e.HTTP_KEEPALIVE_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      checkIntervalMs: checkInterval(e.HTTP_HEADERS_TIMEOUT_MS),
    },
  };
}
