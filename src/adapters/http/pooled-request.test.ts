import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pooledRequest } from './pooled-request.js';

const servers: Server[] = [];

async function serve(handle: (request: IncomingMessage, response: ServerResponse, nth: number) => void): Promise<string> {
  const seen = new WeakMap<Socket, number>();
  const server = createServer((request, response) => {
    const nth = (seen.get(request.socket) ?? 0) + 1;
    seen.set(request.socket, nth);
    handle(request, response, nth);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const post = (url: string, body = '{}', signal = new AbortController().signal) =>
  pooledRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });

describe('pooledRequest', () => {
  it('sends the body and headers, answers any status with its body, and keeps the connection for the next request', async () => {
    const ports: number[] = [];
    const base = await serve((request, response) => {
      ports.push(request.socket.remotePort ?? 0);
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        response.writeHead(request.url === '/missing' ? 404 : 201, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ got: body, type: request.headers['content-type'], method: request.method }));
      });
    });
    expect(await post(`${base}/messages`, '{"to":"+1"}')).toEqual({ status: 201, body: '{"got":"{\\"to\\":\\"+1\\"}","type":"application/json","method":"POST"}' });
    expect((await post(`${base}/missing`)).status).toBe(404);
    expect(new Set(ports).size).toBe(1);
  });

  it('sends a request again on a new connection when the reused one was closed before any answer', async () => {
    const base = await serve((request, response, nth) => {
      if (nth === 2) {
        request.socket.destroy();
        return;
      }
      response.end(`answer ${nth}`);
    });
    expect((await post(base)).body).toBe('answer 1');
    expect((await post(base)).body).toBe('answer 1');
  });

  it('rejects when the connection is refused, when the signal ends it, and when the answer is too large', async () => {
    const closed = await serve(() => undefined);
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    await expect(post(closed)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const hanging = await serve(() => undefined);
    await expect(post(hanging, '{}', AbortSignal.timeout(100))).rejects.toMatchObject({ name: 'AbortError' });

    const huge = await serve((_request, response) => {
      response.write(Buffer.alloc(4 * 1024 * 1024, 'a'));
      response.end(Buffer.alloc(2 * 1024 * 1024, 'a'));
    });
    await expect(post(huge)).rejects.toThrow(/larger than/);
  });
});
