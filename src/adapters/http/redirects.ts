import { HttpClientError, type HttpRequest } from '../../ports/http-client.js';

/** Redirects followed at most, each hop treated like the first request. */
export const MAX_REDIRECTS = 5;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Credentials meant for the origin they were written for: not carried to another (the fetch standard's rule). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
/** Headers that describe a body: dropped with it when a redirect turns the request into a GET. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']);

const without = (headers: Readonly<Record<string, string>>, names: ReadonlySet<string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !names.has(name.toLowerCase())));

/**
 * The request an answer redirects to, or undefined when it is not a redirect (or the request
 * does not follow them). The fetch standard's rules: 303, and 301/302 after a POST, become a GET
 * without a body (and without the headers that described it); a hop to another origin (scheme,
 * host or port: an https-to-http hop included) carries no credentials.
 */
export function redirected(request: HttpRequest, status: number, location: string | null | undefined): HttpRequest | undefined {
  if (request.followRedirects === false || !REDIRECTS.has(status) || location == null || !URL.canParse(location, request.url)) return undefined;
  const target = new URL(location, request.url);
  let headers = target.origin === new URL(request.url).origin ? request.headers : without(request.headers, CREDENTIAL_HEADERS);
  const toGet = status === 303 || ((status === 301 || status === 302) && request.method === 'POST');
  if (toGet) headers = without(headers, BODY_HEADERS);
  return toGet ? { ...request, url: target.toString(), headers, method: 'GET', body: undefined } : { ...request, url: target.toString(), headers };
}

export function tooManyRedirects(next: HttpRequest): HttpClientError {
  return new HttpClientError('network', `too many redirects: still redirected after ${MAX_REDIRECTS} (to ${next.url})`);
}
