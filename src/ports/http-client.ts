export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** An absolute http(s) URL. */
  url: string;
  headers: Readonly<Record<string, string>>;
  /** Sent as is; the caller sets `content-type`. Never given with GET. */
  body?: string;
  /** Limit for the whole exchange: connecting, sending, and reading the response body. */
  timeoutMs: number;
  /** False: a 3xx is the answer, not followed (a signed webhook must not travel on to another URL). Default true. */
  followRedirects?: boolean;
}

export interface HttpResponse {
  status: number;
  /** Names in lower case; a repeated header's values joined by ", ". */
  headers: Record<string, string>;
  /** The body decoded as UTF-8. */
  body: string;
}

/**
 * Why a request produced no response:
 * - `timeout`: no complete response (body included) within `timeoutMs`;
 * - `network`: DNS failure, connection refused or reset, TLS failure;
 * - `invalid_request`: the client cannot send it (malformed URL, a header value with a line
 *   break); nothing went on the wire;
 * - `response_too_large`: the body passed the adapter's size limit and was abandoned.
 */
export type HttpFailureReason = 'timeout' | 'network' | 'invalid_request' | 'response_too_large';

/** The only error an `HttpClient` rejects with. */
export class HttpClientError extends Error {
  override readonly name = 'HttpClientError';

  constructor(
    readonly reason: HttpFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Outbound HTTP to systems the platform does not control (customer webhooks, flow actions,
 * Salesforce). `request` resolves with every response the server completes, whatever its status:
 * a 404 or a 503 is an answer, and deciding what it means is the caller's job. It rejects only
 * with `HttpClientError` when there is no response to give (see `HttpFailureReason`). Redirects
 * are followed; the response is the final one. There are no retries here: retry policy belongs to
 * the caller, which records each attempt.
 */
export interface HttpClient {
  request(request: HttpRequest): Promise<HttpResponse>;
}
