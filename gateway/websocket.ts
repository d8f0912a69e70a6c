import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../platform/logger.js';
import { shareSubscriptions } from './shared-subscriptions.js';

/** What each graphql-ws operation sees as `ctx.extra`: the same shape graphql-ws's own `ws` adapter gives. */
export interface SocketExtra {
  socket: WebSocket;
  request: IncomingMessage;
}

/**
 * Close codes of ours, beside graphql-ws's `CloseCode`. 1013 is RFC 6455's "Try Again Later": the
 * graphql-ws client treats it as retryable, which is what a consumer that fell behind should do.
 */
export const GatewayCloseCode = {
  ConsumerTooSlow: 1013,
} as const;

export interface WebSocketLimits {
  /** Bytes a client may leave unread in its socket before it is closed with ConsumerTooSlow. */
  maxBufferedBytes: number;
  /** Interval of the ping that finds dead peers; a peer that misses a pong for as long is dropped. */
  keepAliveMs: number;
}

/**
 * A `ws` message as text. With ws's default binaryType ('nodebuffer') every message is one Buffer;
 * the other shapes (an ArrayBuffer, a list of fragments) come only with another binaryType.
 */
export function messageText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString();
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString();
}

/**
 * graphql-ws on a `ws` server, with one difference from graphql-ws's own adapter: a send does not
 * wait for the client to read. graphql-ws's adapter awaits every send's flush, so one client that
 * stops reading holds its subscription's loop, the upstream events pile up unbounded in the
 * gateway, and a shared upstream stalls for everyone. Here each socket may hold at most
 * `maxBufferedBytes` unread; past that the client is closed (ConsumerTooSlow) and the others go on.
 */
export function serveGraphQLWs(
  sockets: WebSocketServer,
  options: ServerOptions<Record<string, unknown> | undefined, SocketExtra>,
  limits: WebSocketLimits,
  log: Logger,
): { dispose(): Promise<void> } {
  // Clients with the same subscription and credentials share one upstream subscription.
  const server = makeServer(shareSubscriptions(options));
  sockets.options.handleProtocols = handleProtocols;

  sockets.on('connection', (socket, request) => {
    socket.once('error', (error) => {
      log.debug('websocket error', error);
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });

    let alive = true;
    socket.on('pong', () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, limits.keepAliveMs);

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: async (data) => {
          if (socket.readyState !== socket.OPEN) return;
          // What is already unread counts, not this message: one large event must still go out.
          if (socket.bufferedAmount > limits.maxBufferedBytes) {
            log.debug(`closing a websocket client that left ${socket.bufferedAmount} bytes unread`);
            socket.close(GatewayCloseCode.ConsumerTooSlow, 'Consumer too slow: read your messages faster, then subscribe again');
            return;
          }
          socket.send(data);
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (message) => {
            // graphql-ws rejects here only for its own faults; the detail stays in our log.
            handle(messageText(message)).catch((error: unknown) => {
              log.error('websocket message handling failed', error);
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );

    socket.once('close', (code, reason) => {
      clearInterval(ping);
      void closed(code, String(reason));
    });
  });

  return {
    async dispose() {
      for (const client of sockets.clients) client.close(1001, 'Going away');
      sockets.removeAllListeners('connection');
      await new Promise<void>((resolve, reject) => sockets.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
