import { HttpClientError, type HttpClient, type HttpRequest, type HttpResponse } from '../../ports/http-client.js';
import { MAX_REDIRECTS, redirected, tooManyRedirects } from './redirects.js';

export interface ScriptedExchange {
  method: string;
  /** The URL exactly, or a prefix followed by `*`. */
  url: string;
  status: number;
  body?: unknown;
  headers: Record<string, string>;
}

/**
 * An HTTP client that answers from a script instead of the network (the flow simulator):
 * the first exchange whose method and URL match answers. A request nothing matches fails as a
 * network error, as an unreachable server would. A scripted redirect (3xx with `location`) is
 * followed as the real client follows one. Every request, each hop included, is kept in `sent`.
 */
export class ScriptedHttpClient implements HttpClient {
  readonly sent: HttpRequest[] = [];

  constructor(private readonly script: readonly ScriptedExchange[]) {}

  request(request: HttpRequest): Promise<HttpResponse> {
    // A throw while following (nothing scripted, too many redirects) rejects the promise.
    return new Promise((resolve) => resolve(this.follow(request)));
  }

  private follow(request: HttpRequest): HttpResponse {
    let current = request;
    for (let hop = 0; ; hop += 1) {
      const response = this.answer(current);
      const next = redirected(current, response.status, response.headers.location);
      if (next === undefined) return response;
      if (hop === MAX_REDIRECTS) throw tooManyRedirects(next);
      current = next;
    }
  }

  private answer(request: HttpRequest): HttpResponse {
    this.sent.push(request);
    const match = this.script.find((exchange) => exchange.method === request.method && matches(exchange.url, request.url));
    if (!match) throw new HttpClientError('network', `no scripted response for ${request.method} ${request.url}`);
    const body = match.body === undefined ? '' : typeof match.body === 'string' ? match.body : JSON.stringify(match.body);
    const type = typeof match.body === 'string' || match.body === undefined ? 'text/plain' : 'application/json';
    const headers = { 'content-type': type, ...Object.fromEntries(Object.entries(match.headers).map(([k, v]) => [k.toLowerCase(), v])) };
    return { status: match.status, headers, body };
  }
}

const matches = (pattern: string, url: string): boolean => (pattern.endsWith('*') ? url.startsWith(pattern.slice(0, -1)) : pattern === url);
