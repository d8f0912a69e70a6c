import { AsyncLocalStorage } from 'node:async_hooks';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { Agent, request as httpRequest } from 'node:http';
import { fromGraphError, internalError, serviceUnavailable } from './errors.js';
import { traceHeaders } from '../platform/tracing.js';

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * The Authorization header of the REST request being served. The facade holds no authentication of
 * its own: it forwards the caller's credential, and the gateway decides (401/403 come back as TMF
 * errors). app.ts enters it for every request, so every route forwards it without passing it along.
 */
const forwarded = new AsyncLocalStorage<{ authorization?: string }>();
export const withAuthorization = <T>(authorization: string | undefined, action: () => T): T => forwarded.run({ authorization }, action);
/** Headers that carry the current request's credential to the gateway (export file downloads). */
export const forwardedHeaders = (): Record<string, string> => {
  const authorization = forwarded.getStore()?.authorization;
  return authorization ? { authorization } : {};
};

/**
 * Sends the facade's named operations to the gateway over one keep-alive connection pool, with
 * node:http rather than `fetch`: no WHATWG Request/Response objects and streams per call, which
 * were the largest cost the facade added per request after JSON (bench/RESULTS.md, REST over GraphQL).
 * Printed operation text is cached per document: the operations are fixed, so printing them per
 * request would be wasted work.
 */
export class GatewayClient {
  private readonly printed = new WeakMap<DocumentNode, string>();
  // Idle sockets are closed after 30 s, before the gateway's keep-alive timeout (75 s) closes them
  // under a request (ECONNRESET): Node's Agent alone reuses a socket past the server's advertised timeout.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, timeout: 30_000 });

  constructor(private readonly url: string) {}

  /**
   * Runs `document` with the current REST request's credential, or with `authorization` when given
   * (the webhook worker's service token; it serves no request).
   */
  async run<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables, authorization?: string): Promise<TData> {
    let query = this.printed.get(document);
    if (!query) {
      query = print(document);
      this.printed.set(document, query);
    }
    let body: GraphQLResponse<TData>;
    let retryAfter: string | null;
    try {
      const answer = await this.post(JSON.stringify({ query, variables }), authorization ? { authorization } : forwardedHeaders());
      retryAfter = answer.retryAfter;
      body = JSON.parse(answer.text) as GraphQLResponse<TData>;
    } catch {
      throw serviceUnavailable('The usage graph is unavailable; try again shortly.');
    }
    const first = body.errors?.[0];
    if (first) throw fromGraphError(first.extensions?.code, first.message, retryAfter);
    if (!body.data) throw internalError();
    return body.data;
  }

  /** One POST to the gateway on the keep-alive pool: the status does not matter, the body says what happened. */
  private post(payload: string, credential: Record<string, string>): Promise<{ text: string; retryAfter: string | null }> {
    return new Promise((resolve, reject) => {
      const call = httpRequest(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json',
            'content-length': Buffer.byteLength(payload),
            ...credential,
            // The request's trace continues in the gateway (platform/tracing.ts; nothing without tracing).
            ...traceHeaders(),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('error', reject);
          response.once('end', () => {
            const header = response.headers['retry-after'];
            resolve({ text: Buffer.concat(chunks).toString('utf8'), retryAfter: typeof header === 'string' ? header : null });
          });
        },
      );
      call.once('error', reject);
      call.end(payload);
    });
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}
