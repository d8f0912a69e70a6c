import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Watched } from './wait.js';

export interface Received {
  status: number;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
}

/**
 * A real HTTP webhook receiver on a free port; `answer` decides each response's status. A request is
 * in `requests` from the moment its body has arrived (status 0 until answered), so an answer that is
 * a promise which never settles is a receiver that never answers.
 */
export interface Receiver {
  url: string;
  requests: Received[];
  accepted(): Received[];
  waitForAccepted(count: number, ms?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(answer: (attempt: number) => number | Promise<number>): Promise<Receiver> {
  const requests: Received[] = [];
  const watched = new Watched();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const received: Received = { status: 0, headers: req.headers, raw, body: JSON.parse(raw) };
      requests.push(received);
      watched.changed();
      void Promise.resolve(answer(requests.length)).then((status) => {
        received.status = status;
        if (!res.destroyed) res.writeHead(status).end();
        watched.changed();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const accepted = () => requests.filter((r) => r.status >= 200 && r.status < 300);
  return {
    url: `http://127.0.0.1:${port}/events`,
    requests,
    accepted,
    async waitForAccepted(count, ms = 10_000) {
      await watched.until(`${count} deliveries accepted`, () => accepted().length >= count, {
        timeoutMs: ms,
        seen: () => `${accepted().length} accepted; requests: ${requests.map((r) => `${r.status} ${r.body.eventType}`).join(', ')}`,
      });
      return accepted();
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
