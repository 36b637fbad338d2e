import { Agent, request as httpRequest } from 'node:http';

/** A small JSON client for setting up benchmarks through the public API (never on the hot path). */
export interface JsonResponse<T> {
  status: number;
  body: T;
  text: string;
  bytes: number;
}

export async function request<T = unknown>(
  base: string,
  method: string,
  path: string,
  options: { token?: string | undefined; body?: unknown } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body: body as T, text, bytes: Buffer.byteLength(text) };
}

/** Like `request`, but anything other than `expected` is an error that says what came back. */
export async function expectStatus<T = unknown>(
  expected: number,
  base: string,
  method: string,
  path: string,
  options: { token?: string | undefined; body?: unknown } = {},
): Promise<JsonResponse<T>> {
  const response = await request<T>(base, method, path, options);
  if (response.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${response.status}: ${response.text.slice(0, 500)}`);
  return response;
}

/**
 * A lean client for timed requests: `node:http` over one keep-alive connection, the body read as
 * one string. `fetch` (undici) builds WHATWG headers, streams and a Response per request, which
 * costs the benchmark's process a few hundred microseconds and enough garbage to collect every
 * few hundred requests: time the API's figures carried and the driver's (the floor's) did not.
 */
export function keepAliveClient(base: string, headers: Record<string, string>) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(base);
  return {
    get(path: string): Promise<{ status: number; text: string }> {
      return new Promise((resolve, reject) => {
        const request = httpRequest({ agent, hostname, port, path, headers }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
          response.on('error', reject);
        });
        request.on('error', reject);
        request.end();
      });
    },
    close: () => agent.destroy(),
  };
}
