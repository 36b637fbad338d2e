import { afterEach, describe, expect, it } from 'vitest';
import { HttpClientError } from '../../ports/http-client.js';
import { startTestHttpServer, type TestHttpServer } from '../../domains/flows/runtime/test-http-server.js';
import { EgressPolicy } from './egress.js';
import { FetchHttpClient } from './fetch-client.js';
import { pooledRequest } from './pooled-request.js';

let server: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('EgressPolicy', () => {
  const strict = new EgressPolicy();

  it('refuses this host, private, link-local, CGNAT, multicast and reserved addresses, in IPv4 and IPv6 spellings', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '0.0.0.0', '10.0.0.8', '172.20.1.1', '192.168.1.10', '169.254.169.254', '100.64.0.1', '224.0.0.1', '255.255.255.255', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::a9fe:a9fe']) {
      expect(strict.allows(address), address).toBe(false);
    }
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700::6810:84e5', '::ffff:8.8.8.8']) expect(strict.allows(address), address).toBe(true);
  });

  it('lets the operator allow addresses and networks, or everything', () => {
    const some = new EgressPolicy(['127.0.0.1', '10.1.0.0/16']);
    expect([some.allows('127.0.0.1'), some.allows('127.0.0.2'), some.allows('10.1.200.3'), some.allows('10.2.0.1')]).toEqual([true, false, true, false]);
    expect(new EgressPolicy(['*']).allows('169.254.169.254')).toBe(true);
  });

  it('checks names by what they resolve to', async () => {
    await expect(strict.check('localhost')).rejects.toThrow(/resolves to .* an internal address/);
    await expect(strict.check('[::1]')).rejects.toThrow(/internal address/);
    await expect(new EgressPolicy(['127.0.0.0/8', '::1']).check('localhost')).resolves.toBeUndefined();
  });
});

describe('requests under an egress policy', () => {
  const onlyFirst = new EgressPolicy(['127.0.0.1']);

  it('refuses an internal target before connecting: an IP literal, a name, and every hop of a redirect', async () => {
    server = await startTestHttpServer((request) => (request.url === '/start' ? { status: 302, headers: { location: `http://127.0.0.2:${new URL(server?.url ?? '').port}/secret` }, body: '' } : { status: 200, body: 'secret' }));
    const strictClient = new FetchHttpClient({ egress: new EgressPolicy() });
    const request = (url: string) => ({ method: 'GET' as const, url, headers: {}, timeoutMs: 2000 });
    const literal = await strictClient.request(request(`${server.url}/secret`)).catch((error: unknown) => error);
    expect(literal).toBeInstanceOf(HttpClientError);
    expect((literal as HttpClientError).message).toMatch(/127\.0\.0\.1.*internal address/);
    const named = await strictClient.request(request(`http://localhost:${new URL(server.url).port}/secret`)).catch((error: unknown) => error);
    expect((named as HttpClientError).message).toMatch(/localhost resolves to .* internal address/);
    const hopped = await new FetchHttpClient({ egress: onlyFirst }).request(request(`${server.url}/start`)).catch((error: unknown) => error);
    expect((hopped as HttpClientError).message).toMatch(/127\.0\.0\.2.*internal address/);
    expect(server.received.map((r) => r.url)).toEqual(['/start']);
    await expect(pooledRequest(`${server.url}/secret`, { method: 'POST', headers: {}, body: '', signal: AbortSignal.timeout(2000), egress: new EgressPolicy() })).rejects.toThrow(/internal address/);
    expect((await pooledRequest(`${server.url}/secret`, { method: 'POST', headers: {}, body: '', signal: AbortSignal.timeout(2000), egress: onlyFirst })).body).toBe('secret');
  });
});
