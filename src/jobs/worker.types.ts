import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { PayloadSchemas } from '../ports/jobs.js';
import type { Storage } from '../ports/storage.js';
import type { BackoffPolicy } from './backoff.js';
import type { JobHandlers } from './handler.js';
import type { JobRow } from './jobs.repo.js';

export interface WorkerOptions<S extends PayloadSchemas> {
  storage: Storage;
  clock: Clock;
  logger: Logger;
  /** The job types this worker runs and their payload schemas; it never claims another type. */
  schemas: S;
  handlers: JobHandlers<S>;
  /** Written to `locked_by`; must be unique among live workers. Host, pid and a random suffix by default. */
  id?: string;
  /** Jobs run at once by this worker (its shared slots). */
  concurrency?: number;
  /**
   * Job types that run in a pool of their own: at most this many at once on this worker, taking
   * none of the shared slots (so a slow job of another type never holds up theirs, nor they it).
   */
  pools?: Readonly<Record<string, number>>;
  /** How long a claim lasts without renewal; a dead worker's jobs are claimed again after it. */
  leaseMs?: number;
  /** Wall-clock fallback for a missed notification: the longest a due job waits for this worker to look. */
  pollMs?: number;
  /** The longest `stop()` waits for running handlers. */
  stopTimeoutMs?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /**
   * Called when a job is failed because every worker that ran it died (its attempts are used up
   * without a handler throwing), before it is marked failed: the interaction or message it was
   * carrying ends too, as when a handler's last attempt throws. A rejection leaves the job to
   * be claimed and tried again.
   */
  abandoned?: (row: JobRow, reason: string) => Promise<void>;
}

export interface WorkerStats {
  claimed: number;
  /** Handlers that returned and whose outcome was recorded (done or repeated). */
  succeeded: number;
  retried: number;
  /** Jobs given up on: attempts used up, or a payload that does not parse. */
  failed: number;
  /** Outcomes this worker could not record because another worker had claimed the job meanwhile. */
  leasesLost: number;
  running: number;
}

export interface Worker {
  readonly id: string;
  /** How long a claim lasts without renewal. */
  readonly leaseMs: number;
  readonly stats: Readonly<WorkerStats>;
  /** Listens for enqueued jobs, polls as a fallback and runs due jobs until `stop()`. */
  start(): Promise<void>;
  /** Claims and runs due jobs until none is due; resolves to how many ran. For a worker never started (tests, one-shot runs). */
  drain(): Promise<number>;
  /**
   * Stops claiming and listening, then waits up to `stopTimeoutMs` for running handlers. The rest
   * are aborted: one that honours its signal records a failed attempt (retried after backoff), one
   * that ignores it is left to its lease, after which another worker claims the job.
   */
  stop(): Promise<void>;
  /** Whether a job of `type` handed over now would start at once: started, with a place free in the type's pool or the shared slots. */
  hasRoom(type: string): boolean;
  /**
   * Runs jobs claimed in this worker's name by the transaction that enqueued them (`here`), which
   * has committed. A worker not started (or stopping) leaves them to their lease.
   */
  adopt(rows: JobRow[]): void;
}
