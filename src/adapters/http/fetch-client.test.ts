import { afterEach, describe, expect, it } from 'vitest';
import { HttpClientError } from '../../ports/http-client.js';
import { refusedUrl, startTestHttpServer, type TestHttpServer } from '../../domains/flows/runtime/test-http-server.js';
import { FetchHttpClient } from './fetch-client.js';

const client = new FetchHttpClient({ maxResponseBytes: 64 * 1024 });

let server: TestHttpServer | undefined;
let other: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  await other?.close();
  server = undefined;
  other = undefined;
});

async function failureOf(work: Promise<unknown>): Promise<HttpClientError> {
  const error: unknown = await work.then(
    () => new Error('expected the request to reject'),
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof HttpClientError)) throw error;
  return error;
}

describe('FetchHttpClient', () => {
  it('sends method, headers and body, and resolves a non-2xx answer with its status, headers and body', async () => {
    server = await startTestHttpServer(() => ({ status: 503, headers: { 'X-Trace': 'abc', 'Content-Type': 'text/plain' }, body: 'down for maintenance' }));
    const response = await client.request({
      method: 'PUT',
      url: `${server.url}/things/7?x=1`,
      headers: { 'content-type': 'application/json', 'X-Api-Key': 'k1' },
      body: '{"a":1}',
      timeoutMs: 5000,
    });
    expect(response).toMatchObject({ status: 503, body: 'down for maintenance' });
    expect(response.headers['x-trace']).toBe('abc');
    expect(server.received).toHaveLength(1);
    expect(server.received[0]).toMatchObject({ method: 'PUT', url: '/things/7?x=1', body: '{"a":1}' });
    expect(server.received[0]?.headers['x-api-key']).toBe('k1');
  });

  it('carries credentials on a redirect within the origin and drops them on a hop to another origin', async () => {
    other = await startTestHttpServer(() => ({ status: 200, body: 'elsewhere' }));
    const elsewhere = other.url;
    server = await startTestHttpServer((request) =>
      request.url === '/here' ? { status: 200, body: 'here' } : { status: 307, headers: { location: request.url === '/same' ? '/here' : `${elsewhere}/steal` }, body: '' },
    );
    const credentials = { authorization: 'Bearer TOPSECRET', Cookie: 's=1', 'Proxy-Authorization': 'Basic eA==', 'x-api-key': 'k1' };
    const same = await client.request({ method: 'GET', url: `${server.url}/same`, headers: credentials, timeoutMs: 5000 });
    expect(same.body).toBe('here');
    expect(server.received[1]?.headers).toMatchObject({ authorization: 'Bearer TOPSECRET', cookie: 's=1', 'proxy-authorization': 'Basic eA==' });
    const moved = await client.request({ method: 'POST', url: `${server.url}/away`, headers: { ...credentials, 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs: 5000 });
    expect(moved.body).toBe('elsewhere');
    const [hop] = other.received;
    expect(hop).toMatchObject({ method: 'POST', url: '/steal', body: '{"a":1}' });
    expect(hop?.headers.authorization).toBeUndefined();
    expect(hop?.headers.cookie).toBeUndefined();
    expect(hop?.headers['proxy-authorization']).toBeUndefined();
    expect(hop?.headers['x-api-key']).toBe('k1');
  });

  it('turns a POST redirected by 303 into a GET without its body or the headers that described it', async () => {
    server = await startTestHttpServer((request) => (request.url === '/done' ? { status: 200, body: 'ok' } : { status: 303, headers: { location: '/done' }, body: '' }));
    await client.request({ method: 'POST', url: `${server.url}/submit`, headers: { 'Content-Type': 'application/json', 'x-trace': 't' }, body: '{"a":1}', timeoutMs: 5000 });
    const [, followed] = server.received;
    expect(followed).toMatchObject({ method: 'GET', url: '/done', body: '' });
    expect(followed?.headers['content-type']).toBeUndefined();
    expect(followed?.headers['x-trace']).toBe('t');
  });

  it('gives up on a chain of more than five redirects, saying so', async () => {
    server = await startTestHttpServer((request) => ({ status: 302, headers: { location: `/hop${Number(request.url.slice(4) || '0') + 1}` }, body: '' }));
    const failure = await failureOf(client.request({ method: 'GET', url: `${server.url}/hop0`, headers: {}, timeoutMs: 5000 }));
    expect(failure.reason).toBe('network');
    expect(failure.message).toMatch(/too many redirects/);
    expect(server.received).toHaveLength(6);
  });

  it('decodes a UTF-8 body', async () => {
    server = await startTestHttpServer(() => ({ status: 200, body: 'olá — ✓' }));
    const response = await client.request({ method: 'GET', url: server.url, headers: {}, timeoutMs: 5000 });
    expect(response.body).toBe('olá — ✓');
  });

  it('rejects with timeout when no answer comes in time', async () => {
    server = await startTestHttpServer(() => 'hang');
    const error = await failureOf(client.request({ method: 'GET', url: server.url, headers: {}, timeoutMs: 150 }));
    expect(error.reason).toBe('timeout');
  });

  it('rejects with timeout when the body never finishes', async () => {
    server = await startTestHttpServer(() => ({ status: 200, body: '{"partial":', unfinished: true }));
    const error = await failureOf(client.request({ method: 'GET', url: server.url, headers: {}, timeoutMs: 150 }));
    expect(error.reason).toBe('timeout');
  });

  it('rejects with network when the connection is refused', async () => {
    const error = await failureOf(client.request({ method: 'GET', url: await refusedUrl(), headers: {}, timeoutMs: 5000 }));
    expect(error.reason).toBe('network');
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('rejects with invalid_request, sending nothing, for a header value with a line break or a non-http URL', async () => {
    server = await startTestHttpServer(() => ({ status: 200 }));
    const injected = await failureOf(client.request({ method: 'GET', url: server.url, headers: { 'x-name': 'a\r\nx-evil: 1' }, timeoutMs: 5000 }));
    expect(injected.reason).toBe('invalid_request');
    const ftp = await failureOf(client.request({ method: 'GET', url: 'ftp://127.0.0.1/file', headers: {}, timeoutMs: 5000 }));
    expect(ftp.reason).toBe('invalid_request');
    expect(server.received).toHaveLength(0);
  });

  it('abandons a body over the size limit', async () => {
    server = await startTestHttpServer(() => ({ status: 200, body: 'x'.repeat(200 * 1024) }));
    const error = await failureOf(client.request({ method: 'GET', url: server.url, headers: {}, timeoutMs: 5000 }));
    expect(error.reason).toBe('response_too_large');
  });
});
