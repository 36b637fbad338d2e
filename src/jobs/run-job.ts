import type { z } from 'zod';
import { iso, type Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { Executor, Storage } from '../ports/storage.js';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import type { JobContext, JobHandler, JobOutcome } from './handler.js';
import { claimOf, completeJob, failJob, rescheduleJob, retryJob, type Claim, type JobRow } from './jobs.repo.js';

/** What became of one claimed job; the worker counts these. */
export type Disposition =
  | { kind: 'succeeded'; nextRunAt?: undefined }
  | { kind: 'repeated'; nextRunAt: Date }
  | { kind: 'retried'; nextRunAt: Date }
  | { kind: 'failed'; nextRunAt?: undefined }
  /** The worker no longer held the claim when it tried to record the outcome: another worker has the job. */
  | { kind: 'lease_lost'; nextRunAt?: undefined };

export interface RunJobDependencies {
  db: Executor;
  /** Where a finished job's deletion goes: it shares a commit with other short writes. */
  batch: Storage['batch'];
  clock: Clock;
  logger: Logger;
  workerId: string;
  backoff: BackoffPolicy;
  random: () => number;
  /** What becomes of a job's work when the job is failed without its handler having thrown (see `WorkerOptions.abandoned`). */
  abandoned?: (row: JobRow, reason: string) => Promise<void>;
}

/** Errors are kept on the row for operators; a stack or a huge message must not bloat it. */
const MAX_ERROR_LENGTH = 2000;

const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message || error.name : String(error)).slice(0, MAX_ERROR_LENGTH);

/**
 * Parses the claimed job's payload, runs its handler and records the outcome, every write fenced
 * by the claim. It never throws for a handler's failure; it rejects only when the database does,
 * in which case the job keeps its lease and runs again once the lease runs out.
 */
export async function runJob(
  deps: RunJobDependencies,
  row: JobRow,
  schema: z.ZodType,
  handler: JobHandler<unknown>,
  control: Pick<JobContext, 'signal' | 'detach'>,
): Promise<Disposition> {
  const claim = claimOf(row, deps.workerId);
  const logger = deps.logger.child({ job: row.id, type: row.type, attempt: row.attempts });

  // Claiming counts an attempt, so a job whose worker died on its last attempt (or which kills
  // every process that runs it) arrives here past its limit and stops going round.
  if (row.attempts > row.max_attempts) {
    const reason = `the worker running attempt ${row.max_attempts} of ${row.max_attempts} stopped before it finished`;
    logger.error({ lastError: row.last_error }, `job failed: ${reason}`);
    // Its work must not be left waiting for a job that will never run again.
    await deps.abandoned?.(row, reason);
    return ifStillHeld(await failJob(deps.db, claim, reason, now(deps)), { kind: 'failed' }, logger);
  }

  const parsed = parsePayload(schema, row.payload);
  if (!parsed.success) {
    // A payload that does not match its schema will not match on a retry either.
    const reason = `payload does not match the ${row.type} schema: ${parsed.error}`.slice(0, MAX_ERROR_LENGTH);
    logger.error(reason);
    return ifStillHeld(await failJob(deps.db, claim, reason, now(deps)), { kind: 'failed' }, logger);
  }

  let outcome: JobOutcome;
  try {
    outcome = await handler(parsed.data, {
      id: row.id,
      accountId: row.account_id,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      logger,
      ...control,
    });
  } catch (error) {
    return recordFailure(deps, row, claim, messageOf(error), logger);
  }

  switch (outcome.kind) {
    case 'done':
      return ifStillHeld(await deps.batch((trx) => completeJob(trx, claim)), { kind: 'succeeded' }, logger);
    case 'repeat':
      return ifStillHeld(await rescheduleJob(deps.db, claim, iso(outcome.at), now(deps)), { kind: 'repeated', nextRunAt: outcome.at }, logger);
  }
}

async function recordFailure(deps: RunJobDependencies, row: JobRow, claim: Claim, error: string, logger: Logger): Promise<Disposition> {
  if (row.attempts >= row.max_attempts) {
    logger.error({ error }, `job failed after ${row.attempts} attempts`);
    return ifStillHeld(await failJob(deps.db, claim, error, now(deps)), { kind: 'failed' }, logger);
  }
  const nextRunAt = new Date(deps.clock.now().getTime() + retryDelayMs(row.attempts, deps.backoff, deps.random));
  logger.warn({ error, retryAt: iso(nextRunAt) }, `job attempt ${row.attempts} of ${row.max_attempts} failed; retrying`);
  return ifStillHeld(await retryJob(deps.db, claim, iso(nextRunAt), error, now(deps)), { kind: 'retried', nextRunAt }, logger);
}

function parsePayload(schema: z.ZodType, payload: string): { success: true; data: unknown } | { success: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { success: false, error: 'not JSON' };
  }
  const result = schema.safeParse(json);
  return result.success ? { success: true, data: result.data } : { success: false, error: result.error.message };
}

function ifStillHeld(recorded: boolean, disposition: Disposition, logger: Logger): Disposition {
  if (recorded) return disposition;
  logger.warn('lost the lease before recording the outcome; another worker has the job');
  return { kind: 'lease_lost' };
}

const now = (deps: RunJobDependencies): string => iso(deps.clock.now());
