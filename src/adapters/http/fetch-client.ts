import { Agent, fetch, Request, type Response } from 'undici';
import { HttpClientError, type HttpClient, type HttpRequest, type HttpResponse } from '../../ports/http-client.js';
import { EgressRefused, UNRESTRICTED, type EgressPolicy } from './egress.js';
import { MAX_REDIRECTS, redirected, tooManyRedirects } from './redirects.js';

export interface FetchHttpClientOptions {
  /** A response body longer than this is abandoned with `response_too_large`. Default 5 MiB. */
  maxResponseBytes?: number;
  /** Where requests may go (every hop of a redirect included); unrestricted when not given. */
  egress?: EgressPolicy;
}

const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

/** What Node's fetch says went wrong; the useful part (ECONNREFUSED, ENOTFOUND) is in `cause`. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code === undefined ? `${error.message}: ${cause.message}` : `${error.message}: ${code}`;
  }
  return error.message;
}

function toRequest(request: HttpRequest, signal: AbortSignal): Request {
  if (!URL.canParse(request.url) || !['http:', 'https:'].includes(new URL(request.url).protocol)) {
    throw new HttpClientError('invalid_request', `not an http(s) URL: ${request.url}`);
  }
  try {
    // Redirects are followed here, hop by hop, so each target is checked like the first.
    return new Request(request.url, { method: request.method, headers: request.headers, body: request.body ?? null, signal, redirect: 'manual' });
  } catch (error) {
    throw new HttpClientError('invalid_request', `cannot send the request: ${describeFetchError(error)}`, { cause: error });
  }
}

function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    const earlier = headers[name];
    headers[name] = earlier === undefined ? value : `${earlier}, ${value}`;
  });
  return headers;
}

/** Reads the body as UTF-8, giving up (and closing the stream) past `maxBytes`. */
async function readBody(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  // undici types the body stream loosely; its chunks are bytes.
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder('utf-8');
  let received = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new HttpClientError('response_too_large', `response body is larger than ${maxBytes} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** The `HttpClient` port over Node's global fetch; one AbortSignal bounds the whole exchange. */
export class FetchHttpClient implements HttpClient {
  private readonly maxResponseBytes: number;
  private readonly egress: EgressPolicy;
  private readonly dispatcher: Agent;

  constructor(options: FetchHttpClientOptions = {}) {
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.egress = options.egress ?? UNRESTRICTED;
    this.dispatcher = new Agent({ connect: { lookup: this.egress.lookup } });
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const signal = AbortSignal.timeout(request.timeoutMs);
    try {
      let current = request;
      for (let hop = 0; ; hop += 1) {
        this.egress.checkLiteral(new URL(current.url).hostname);
        const response = await fetch(toRequest(current, signal), { dispatcher: this.dispatcher });
        // Each hop is checked against the egress policy like the first request.
        const next = redirected(current, response.status, response.headers.get('location'));
        if (next === undefined) {
          const body = await readBody(response, this.maxResponseBytes);
          return { status: response.status, headers: headersOf(response), body };
        }
        await response.body?.cancel();
        if (hop === MAX_REDIRECTS) throw tooManyRedirects(next);
        current = next;
      }
    } catch (error) {
      if (error instanceof HttpClientError) throw error;
      const refused = error instanceof EgressRefused ? error : error instanceof Error && error.cause instanceof EgressRefused ? error.cause : undefined;
      if (refused) throw new HttpClientError('network', refused.message, { cause: error });
      if (signal.aborted) {
        throw new HttpClientError('timeout', `no complete response within ${request.timeoutMs} ms`, { cause: error });
      }
      throw new HttpClientError('network', describeFetchError(error), { cause: error });
    }
  }
}
