import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { print, type GraphQLFormattedError } from 'graphql';
import type { Db, MongoClient } from 'mongodb';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { backgroundComment, connectMongo } from '../../platform/mongo.js';
import { startSystem, type RunningSystem } from '../../scripts/system.js';
import { startRestAdapter, type RestAdapterOptions } from '../../rest-adapter/server.js';
import { authFromConfig } from '../../platform/authentication.js';
import { hubSigningSecret } from '../../rest-adapter/signing-secret.js';
import { allScopes, type Scope } from '../../platform/caller.js';
import { developmentIssuer } from '../../platform/auth-keys.js';
import { serviceTokens } from '../../platform/tokens.js';

export interface GraphQLResult<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

/**
 * Counts the commands the driver sends to the test's database: not admin or handshake traffic, and
 * not the webhook worker's background polling of its outbox (hubs, hubDeliveries), nor the usage
 * subgraphs' background workers (their commands carry backgroundComment: the rollup maintainer, the
 * outbox sweep, the job and export sweeps).
 */
const background = new Set(['hubs', 'hubDeliveries']);

export class CommandLog {
  private commands: { name: string; collection: string }[] = [];
  constructor(client: MongoClient, databaseName: string) {
    client.on('commandStarted', (event) => {
      const collection = (event.command as Record<string, unknown>)[event.commandName];
      const comment = (event.command as Record<string, unknown>).comment;
      if (event.databaseName === databaseName && comment !== backgroundComment) {
        this.commands.push({ name: event.commandName, collection: typeof collection === 'string' ? collection : '' });
      }
    });
  }
  /** Runs `action` and returns the commands it caused, in order (none of the webhook outbox's). */
  async during(action: () => Promise<unknown>): Promise<string[]> {
    return (await this.on(action)).filter((c) => !background.has(c.collection)).map((c) => c.name);
  }
  /**
   * Runs `action` and returns every command it caused with its collection, the webhook outbox's too:
   * for a test that has stopped the delivery worker (the REST facade), so that they are all its own.
   */
  async on(action: () => Promise<unknown>): Promise<{ name: string; collection: string }[]> {
    const start = this.commands.length;
    await action();
    return this.commands.slice(start);
  }
}

export interface RestResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** Headers for a request; `null` leaves a default header out (an anonymous request: `{ authorization: null }`). */
export type TestHeaders = Record<string, string | null>;

export interface TokenOptions {
  tenant?: string;
  subject?: string;
  scopes?: readonly Scope[];
  /** Lifetime in seconds; negative for a token that has already expired. */
  ttlSeconds?: number;
}

/**
 * The token of the stack that started last in this test file's worker: graphql-ws clients made by
 * support/subscriber.ts send it unless told otherwise. Each test file runs in its own worker.
 */
export let currentToken: string | undefined;

export interface Stack {
  config: Config;
  /** A valid token for tenant "test-tenant" with every scope; every helper below sends it by default. */
  token: string;
  /** A token signed with the stack's key, for other tenants, scopes or lifetimes. */
  mintToken(options?: TokenOptions): Promise<string>;
  /** What a restarted subgraph or REST facade needs to be part of this stack again. */
  internalAuth: { secret: string; maxAgeSeconds: number };
  hubDeliveryToken: () => Promise<string>;
  /** Starts the REST facade again as the stack started it (after a test closed it), with `overrides`; it becomes system.rest. */
  startRest(overrides?: Partial<RestAdapterOptions>): Promise<void>;
  system: RunningSystem;
  gatewayUrl: string;
  wsUrl: string;
  /** Base URL of the REST facade, e.g. http://127.0.0.1:PORT. */
  restUrl: string;
  /** Sends a request to the REST facade; the body is sent as JSON unless it is a string. */
  rest(method: string, path: string, body?: unknown, headers?: TestHeaders): Promise<RestResponse>;
  db: Db;
  commands: CommandLog;
  /** Sends a typed operation to the gateway over HTTP. */
  request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables, headers?: TestHeaders): Promise<GraphQLResult<TData>>;
  /** Sends a raw body to the gateway (for malformed requests). */
  post(body: string, headers?: TestHeaders): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/**
 * The real system for one test file: the run's database server (see global-setup.ts), a database of
 * its own named after the file, the three subgraphs and the gateway on free ports.
 */
export async function startStack(name: string, env: Record<string, string> = {}): Promise<Stack> {
  const uri = inject('mongodbUri');
  const keys = await testKeys(name, env);
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    GATEWAY_PORT: '0',
    USAGE_PORT: '0',
    SPECIFICATION_PORT: '0',
    PARTY_PORT: '0',
    REST_PORT: '0',
    MONGODB_URI: uri,
    MONGODB_DB: `${inject('databasePrefix')}${name}`,
    LOG_LEVEL: 'error',
    DATA_DIR: '.data/test',
    ...keys.env,
    ...env,
  });
  const mintToken = keys.mint;
  const token = await mintToken();
  currentToken = token;
  const withToken = (headers: TestHeaders): Record<string, string> =>
    Object.fromEntries(Object.entries({ authorization: `Bearer ${token}`, ...headers }).filter((e): e is [string, string] => e[1] !== null));
  const client = await connectMongo(uri, { monitorCommands: true });
  const commands = new CommandLog(client, config.mongodbDb);
  const system = await startSystem(config, client, createLogger(config.logLevel, 'usage-graph', config.logFormat, config.logRequests));
  const { verify } = await authFromConfig(config, () => undefined);
  const gatewayUrl = system.gateway.url;

  const post = async (body: string, headers: TestHeaders = {}) => {
    const response = await fetch(gatewayUrl, { method: 'POST', headers: withToken({ 'content-type': 'application/json', ...headers }), body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text for the assertion message
    }
    return { status: response.status, body: parsed };
  };

  const internalAuth = { secret: config.auth.internalSecret!, maxAgeSeconds: config.auth.internalMaxAgeSeconds };
  return {
    config,
    token,
    mintToken,
    internalAuth,
    hubDeliveryToken: serviceTokens(internalAuth.secret),
    async startRest(overrides = {}) {
      system.rest = await startRestAdapter({
        gatewayUrl,
        verify,
        hubSigningSecret: hubSigningSecret(config.hubs.signingSecret, config.dataDir, () => undefined),
        hubDeliveryToken: serviceTokens(internalAuth.secret),
        anonymousPreflight: 'empty',
        hubPrivateCallbacks: config.hubs.privateCallbacks,
        publicUrl: config.publicUrl,
        host: '127.0.0.1',
        port: 0,
        bodyLimitBytes: config.bodyLimitBytes,
        paging: config.paging,
        logger: createLogger('error'),
        ...overrides,
      });
    },
    system,
    gatewayUrl,
    wsUrl: system.gateway.wsUrl,
    restUrl: system.rest.url,
    async rest(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: withToken(headers) };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${system.rest.url}${path}`, init);
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    db: client.db(config.mongodbDb),
    commands,
    async request(document, variables, headers) {
      const { status, body } = await post(JSON.stringify({ query: print(document), variables }), headers);
      return { status, ...(body as object) };
    },
    post,
    async close() {
      await system.close();
      await client.close();
    },
  };
}

/** The data of a result that must have succeeded; otherwise fails with the errors it carried. */
export function dataOf<T>(result: GraphQLResult<T>): T {
  if (result.errors?.length || !result.data) {
    throw new Error(`Expected data, got status ${result.status} and errors ${JSON.stringify(result.errors)}`);
  }
  return result.data;
}

/**
 * Keys of this test file, made fresh so no test depends on files of another: an HS256 secret (what
 * development uses), or in production an RSA key pair whose public half is the configured key file.
 * Every stack of one file shares them, as processes of one deployment do (a token of one stack is
 * good on another, and support/subscriber.ts can use the latest stack's token on any of them).
 */
const fileKeys = new Map<boolean, ReturnType<typeof makeKeys>>();
const internalSecret = randomBytes(32).toString('base64url');
function testKeys(name: string, env: Record<string, string>) {
  const production = env.NODE_ENV === 'production';
  if (!fileKeys.has(production)) fileKeys.set(production, makeKeys(name, production));
  return fileKeys.get(production)!;
}

async function makeKeys(name: string, production: boolean) {
  let sign: (jwt: SignJWT) => Promise<string>;
  let keyEnv: Record<string, string>;
  if (production) {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const file = path.resolve('.data/test', `${name}-${randomBytes(4).toString('hex')}-public.pem`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, await exportSPKI(publicKey));
    keyEnv = { AUTH_PUBLIC_KEY_FILE: file, AUTH_PUBLIC_KEY_ALG: 'RS256' };
    sign = (jwt) => jwt.setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
  } else {
    const secret = randomBytes(32).toString('base64url');
    keyEnv = { AUTH_HS256_SECRET: secret };
    sign = (jwt) => jwt.setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
  }
  const mint = async (options: TokenOptions = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ tenant: options.tenant ?? 'test-tenant', scope: (options.scopes ?? allScopes).join(' ') })
      .setSubject(options.subject ?? 'test-user')
      .setIssuer(developmentIssuer)
      .setIssuedAt(now - 60)
      .setExpirationTime(now + (options.ttlSeconds ?? 3600));
    return sign(jwt);
  };
  return { env: { INTERNAL_AUTH_SECRET: internalSecret, ...keyEnv }, mint };
}
