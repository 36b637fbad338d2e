import { UNRESTRICTED, type EgressPolicy } from '../../http/egress.js';
import type { ChannelAdapter, ChannelId, OutboundMessage, ProviderConfig, SendResult } from '../../../ports/message-channels.js';
import { pooledRequest } from '../../http/pooled-request.js';

/** How long one attempt may take, from connecting to the last byte of the answer. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;

export type FailedResult = Extract<SendResult, { kind: 'failed' }>;

export interface AdapterOptions {
  /** Bounds one attempt (default 10 s); the caller's signal can end it sooner. */
  timeoutMs?: number;
  /** Where a provider's base URL or host may point; unrestricted when not given (the app always gives its policy). */
  egress?: EgressPolicy;
}

/** What bounds one attempt of an adapter: how long it may take, and where it may connect. */
export interface Attempt {
  timeoutMs: number;
  egress: EgressPolicy;
}

/** An adapter over its `send`, each attempt bound as `options` say (10 s and unrestricted otherwise). */
export function channelAdapter(
  channel: ChannelId,
  options: AdapterOptions,
  send: (message: OutboundMessage, provider: ProviderConfig, signal: AbortSignal, attempt: Attempt) => Promise<SendResult>,
): ChannelAdapter {
  const attempt: Attempt = { timeoutMs: options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS, egress: options.egress ?? UNRESTRICTED };
  return { channel, send: (message, provider, signal) => send(message, provider, signal, attempt) };
}

/** A text longer than the provider takes is refused here, without a request, so the send moves on. */
export function tooLong(text: string, maxCharacters: number, what: string): SendResult | undefined {
  const length = [...text].length;
  return length > maxCharacters ? rejected('too_long', `${what} takes at most ${maxCharacters} characters; this one has ${length}`) : undefined;
}

export const failed = (code: string, reason: string): FailedResult => ({ kind: 'failed', reason, code });

export const rejected = (code: string, reason: string): SendResult => ({ kind: 'rejected', reason, code });

/** A configuration that cannot work for any message: counted against the provider, like an outage. */
export const misconfigured = (provider: ProviderConfig, problem: string): FailedResult =>
  failed('misconfigured', `provider "${provider.name}" is misconfigured: ${problem}`);

/**
 * `baseUrl` (the vendor's own API when empty) + `path`, keeping any base path; undefined when
 * `baseUrl` is not an http(s) URL.
 */
export function providerUrl(baseUrl: string, vendorUrl: string, path: string): string | undefined {
  const chosen = baseUrl.trim() === '' ? vendorUrl : baseUrl.trim();
  if (!URL.canParse(chosen)) return undefined;
  const base = new URL(chosen);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return undefined;
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** A non-empty string setting or credential, numbers spelled as text. */
export function textOf(value: string | number | boolean | undefined): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The provider's HTTP answer, whatever its status. */
export interface ProviderAnswer {
  status: number;
  body: string;
}

export type Exchange = { answered: true; answer: ProviderAnswer } | { answered: false; result: FailedResult };

/** Whether a signal ended by a deadline (`AbortSignal.timeout`, its reason a `TimeoutError`). */
const endedByDeadline = (signal: AbortSignal): boolean => signal.aborted && signal.reason instanceof Error && signal.reason.name === 'TimeoutError';

/**
 * How an attempt that did not complete ends: past the adapter's own timeout or a deadline in the
 * caller's signal, `failed`/`timeout` (the provider did not answer in time). Cancelled by the
 * caller for any other reason (shutdown), it rejects with the signal's reason: not the provider's
 * answer, so not classified. Otherwise `undefined`: the caller describes the failure.
 */
export function interruption(signal: AbortSignal, deadline: AbortSignal, timeoutMs: number): FailedResult | undefined {
  if (deadline.aborted) return failed('timeout', `no answer within ${timeoutMs} ms`);
  if (endedByDeadline(signal)) return failed('timeout', "no answer before the caller's deadline");
  signal.throwIfAborted();
  return undefined;
}

/**
 * One POST to a provider. No answer in time → `failed`/`timeout`; no connection → `failed`/`network`;
 * cancelled by the caller → rejects (see `interruption`).
 */
export async function postToProvider(
  url: string,
  request: { headers: Record<string, string>; body: string },
  signal: AbortSignal,
  { timeoutMs, egress }: Attempt,
): Promise<Exchange> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const answer = await pooledRequest(url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.any([signal, timeout]), egress });
    return { answered: true, answer };
  } catch (error) {
    return { answered: false, result: interruption(signal, timeout, timeoutMs) ?? failed('network', error instanceof Error ? error.message : String(error)) };
  }
}

/** The answer's body as JSON, or undefined when it is not JSON. */
export function jsonOf(answer: ProviderAnswer): unknown {
  try {
    return JSON.parse(answer.body) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The fallback classification by status alone, for answers without a recognisable error body:
 * 429 and 5xx are the provider's trouble, any other 4xx refuses the message, anything else
 * (1xx, 3xx, a 2xx without the expected fields) is a provider that does not speak the format.
 */
export function byStatus(answer: ProviderAnswer, reason: string, code?: string): SendResult {
  if (answer.status === 429 || answer.status >= 500) return failed(code ?? `http_${answer.status}`, reason);
  if (answer.status >= 400) return rejected(code ?? `http_${answer.status}`, reason);
  return failed('unexpected_response', reason);
}
