/** Deliveries are retried until this long after their event, then fail. */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface RetryPolicy {
  /** Ceiling of the delay after the first failed attempt; it doubles with each further one. */
  baseMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
}

/** 15 s, 30 s, 1 min ... up to 2 h between attempts: about 20 attempts in the 24 h window. */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 15_000, maxMs: 2 * 60 * 60 * 1000 };

/**
 * The delay after `failures` failed attempts: exponential and capped, half of it random ("equal
 * jitter"), so the deliveries of an endpoint that failed together do not all come back at once.
 */
export function retryDelayMs(failures: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
