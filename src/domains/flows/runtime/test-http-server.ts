import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the test server received it. */
export interface ReceivedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * What the server does with the request: answer it, or never answer (to provoke a timeout).
 * `unfinished` sends the head and the body but never ends the response.
 */
export type Reply = { status: number; headers?: Record<string, string>; body?: string; unfinished?: boolean } | 'hang';

export interface TestHttpServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });

/**
 * A real HTTP server on an ephemeral local port for tests of outbound HTTP (no mocks): `reply`
 * decides each answer from the request and its 0-based position.
 */
export async function startTestHttpServer(reply: (request: ReceivedRequest, index: number) => Reply): Promise<TestHttpServer> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      const answer = reply(request, received.length - 1);
      if (answer === 'hang') return;
      res.writeHead(answer.status, answer.headers ?? {});
      if (answer.unfinished === true) res.write(answer.body ?? '');
      else res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => closeServer(server) };
}

/** A local URL nothing listens on: a port that was just released. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return `http://127.0.0.1:${port}`;
}

export const json = (status: number, value: unknown): Reply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});
