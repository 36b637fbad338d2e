import type { Clock } from '../../../kernel/clock.js';
import { HttpClientError, type HttpClient, type HttpRequest, type HttpResponse } from '../../../ports/http-client.js';

/** Waits `ms` of some clock's time. */
export type Sleep = (ms: number) => Promise<void>;

/** A sleep on `clock`: real time on the system clock, virtual time on the simulator's. */
export const sleepOn =
  (clock: Clock): Sleep =>
  (ms) =>
    new Promise((resolve) => {
      clock.setTimer(ms, resolve);
    });

/** What the HTTP-calling components need; `sleep` defaults to `sleepOn(clock)`. */
export interface HttpRuntimeDeps {
  http: HttpClient;
  clock: Clock;
  sleep?: Sleep;
}

/** The component config's `retry`: attempts are `1 + max_retries`. */
export interface RetryPolicy {
  max_retries: number;
  backoff_ms: number;
}

/** How a request with retries ended: the last response, or the last failure when none came. */
export type AttemptsOutcome = (
  | { response: HttpResponse; failure: null }
  | { response: null; failure: HttpClientError }
) & { attempts: number; duration_ms: number };

/** A 5xx or a lost exchange may go better next time; a 4xx, a bad request or a huge body will not. */
function isRetryable(outcome: HttpResponse | HttpClientError): boolean {
  if (outcome instanceof HttpClientError) return outcome.reason === 'timeout' || outcome.reason === 'network';
  return outcome.status >= 500;
}

/** The wait before retry number `retry` (1-based): `backoff_ms`, then doubling. */
export const backoffBefore = (retry: number, backoffMs: number): number => backoffMs * 2 ** (retry - 1);

/**
 * Sends `request`, retrying 5xx answers, timeouts and network failures with exponential backoff
 * until `policy.max_retries` retries are spent. Waits go through the injected sleep, so the flow
 * simulator runs them on virtual time. Rejects only if the client breaks its contract (throws
 * something other than `HttpClientError`).
 */
export async function requestWithRetry(request: HttpRequest, policy: RetryPolicy, deps: HttpRuntimeDeps): Promise<AttemptsOutcome> {
  const sleep = deps.sleep ?? sleepOn(deps.clock);
  const started = deps.clock.now().getTime();
  let attempts = 0;
  for (;;) {
    attempts += 1;
    let outcome: HttpResponse | HttpClientError;
    try {
      outcome = await deps.http.request(request);
    } catch (error) {
      if (!(error instanceof HttpClientError)) throw error;
      outcome = error;
    }
    if (attempts > policy.max_retries || !isRetryable(outcome)) {
      const duration_ms = deps.clock.now().getTime() - started;
      return outcome instanceof HttpClientError
        ? { response: null, failure: outcome, attempts, duration_ms }
        : { response: outcome, failure: null, attempts, duration_ms };
    }
    await sleep(backoffBefore(attempts, policy.backoff_ms));
  }
}

/** A short, secret-free account of a failed exchange for the execution trace. */
export const describeFailure = (failure: HttpClientError): string => `${failure.reason}: ${failure.message}`;
