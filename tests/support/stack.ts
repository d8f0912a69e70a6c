import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import type { Db, MongoClient } from 'mongodb';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../subgraphs/shared/config.js';
import { createLogger } from '../../subgraphs/shared/logger.js';
import { connectMongo } from '../../subgraphs/shared/mongo.js';
import { startSystem, type RunningSystem } from '../../scripts/system.js';

export interface GraphQLResult<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

/**
 * Counts the commands the driver sends to the test's database: not admin or handshake traffic, and
 * not the webhook worker's background polling of its outbox (hubs, hubDeliveries).
 */
const background = new Set(['hubs', 'hubDeliveries']);

export class CommandLog {
  private commands: string[] = [];
  constructor(client: MongoClient, databaseName: string) {
    client.on('commandStarted', (event) => {
      const collection = (event.command as Record<string, unknown>)[event.commandName];
      if (event.databaseName === databaseName && !(typeof collection === 'string' && background.has(collection))) {
        this.commands.push(event.commandName);
      }
    });
  }
  /** Runs `action` and returns the commands it caused, in order. */
  async during(action: () => Promise<unknown>): Promise<string[]> {
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

export interface Stack {
  config: Config;
  system: RunningSystem;
  gatewayUrl: string;
  wsUrl: string;
  /** Base URL of the REST facade, e.g. http://127.0.0.1:PORT. */
  restUrl: string;
  /** Sends a request to the REST facade; the body is sent as JSON unless it is a string. */
  rest(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<RestResponse>;
  db: Db;
  commands: CommandLog;
  /** Sends a typed operation to the gateway over HTTP. */
  request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<GraphQLResult<TData>>;
  /** Sends a raw body to the gateway (for malformed requests). */
  post(body: string, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/**
 * The real system for one test file: the run's database server (see global-setup.ts), a database of
 * its own named after the file, the three subgraphs and the gateway on free ports.
 */
export async function startStack(name: string, env: Record<string, string> = {}): Promise<Stack> {
  const uri = inject('mongodbUri');
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
    ...env,
  });
  const client = await connectMongo(uri, { monitorCommands: true });
  const commands = new CommandLog(client, config.mongodbDb);
  const system = await startSystem(config, client, createLogger('error'));
  const gatewayUrl = system.gateway.url;

  const post = async (body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text for the assertion message
    }
    return { status: response.status, body: parsed };
  };

  return {
    config,
    system,
    gatewayUrl,
    wsUrl: system.gateway.wsUrl,
    restUrl: system.rest.url,
    async rest(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
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
    async request(document, variables) {
      const { status, body } = await post(JSON.stringify({ query: print(document), variables }));
      return { status, ...(body as object) } as GraphQLResult<never>;
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
