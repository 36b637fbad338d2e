export interface BackoffPolicy {
  /** Ceiling of the delay after the first failed attempt; it doubles with each further one. */
  baseMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 15 * 60 * 1000 };

/**
 * The delay before retrying a job whose `attempt` (1-based) just failed: exponential and capped,
 * with half of it random ("equal jitter") so jobs that failed together do not retry together.
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
