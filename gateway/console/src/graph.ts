import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { currentToken } from './session';

/** A GraphQL error as the gateway sends it; `code` is its extensions.code. */
export class GraphError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const endpoint = new URL('/graphql', window.location.origin).toString();
const printed = new WeakMap<DocumentNode, string>();
const text = (document: DocumentNode) => printed.get(document) ?? printed.set(document, print(document)).get(document)!;

/** The Authorization header of the signed-in user, if any. */
export const authorization = (): Record<string, string> => {
  const token = currentToken();
  return token ? { authorization: `Bearer ${token}` } : {};
};

/** One operation over HTTP to the gateway that served the page. */
export async function request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables): Promise<TData> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...authorization() },
    body: JSON.stringify({ query: text(document), variables }),
  });
  const body = (await response.json().catch(() => ({}))) as { data?: TData | null; errors?: { message: string; extensions?: { code?: string } }[] };
  const first = body.errors?.[0];
  if (first) throw new GraphError(first.message, first.extensions?.code);
  if (!body.data) throw new GraphError(`The gateway answered HTTP ${response.status}.`, undefined);
  return body.data;
}

let client: Client | undefined;
let clientToken: string | null = null;

/** The websocket client, made again when the token changes (the token travels in connection_init). */
function socket(): Client {
  const token = currentToken();
  if (!client || token !== clientToken) {
    void client?.dispose();
    clientToken = token;
    client = createClient({
      url: endpoint.replace(/^http/, 'ws'),
      connectionParams: () => authorization(),
      retryAttempts: 5,
    });
  }
  return client;
}

/** Subscribes; returns the function that stops. */
export function subscribe<TData, TVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  handlers: { next(data: TData): void; error(error: GraphError): void },
): () => void {
  return socket().subscribe<TData>(
    { query: text(document), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        const first = result.errors?.[0];
        if (first) handlers.error(new GraphError(first.message, (first.extensions as { code?: string } | undefined)?.code));
        else if (result.data) handlers.next(result.data);
      },
      error: (error) =>
        handlers.error(
          new GraphError(
            error instanceof Error ? error.message : 'The live connection closed.',
            (error as { code?: number }).code === 4401 ? 'UNAUTHENTICATED' : undefined,
          ),
        ),
      complete: () => undefined,
    },
  );
}
