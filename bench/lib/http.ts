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
