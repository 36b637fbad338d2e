import type { z } from 'zod';
import type { Logger } from '../kernel/logger.js';
import type { PayloadSchemas } from '../ports/jobs.js';

/** What the worker does with a job after its handler returned. */
export type JobOutcome =
  /** Finished: the row is deleted. */
  | { kind: 'done' }
  /** Run the same job again at `at` with a fresh attempt count (recurring jobs keep their dedupe key this way). */
  | { kind: 'repeat'; at: Date };

export const done = (): JobOutcome => ({ kind: 'done' });
export const repeatAt = (at: Date): JobOutcome => ({ kind: 'repeat', at });

export interface JobContext {
  id: string;
  accountId: string;
  /** 1 on the first try; the job fails for good when a throw happens at `maxAttempts`. */
  attempt: number;
  maxAttempts: number;
  /**
   * Aborted when this worker no longer holds the job (its lease was lost, or `stop()` stopped
   * waiting for it). The job will run again elsewhere, so a long handler should stop early.
   */
  signal: AbortSignal;
  logger: Logger;
  /**
   * Stops counting this job against the worker's concurrency, for a handler that mostly waits on
   * an outside party (a call in progress). The job keeps its lease, renewed as before, and
   * `stop()` still waits for it.
   */
  detach: () => void;
}

/**
 * Runs one job. Throwing fails this attempt: the job is retried with backoff until its attempts
 * are used up, then kept as `failed` with the error. Jobs run at least once, so handlers must be
 * safe to run again after a crash between their work and the worker recording the outcome.
 */
export type JobHandler<P> = (payload: P, context: JobContext) => Promise<JobOutcome>;

/** One handler per job type: a set of schemas without a handler for each type does not compile. */
export type JobHandlers<S extends PayloadSchemas> = { [T in keyof S]: JobHandler<z.output<S[T]>> };
