import { iso, type Clock } from '../kernel/clock.js';
import { newId } from '../kernel/ids.js';
import { CHANNELS } from '../ports/channels.js';
import { DEFAULT_MAX_ATTEMPTS, type Job, type JobQueue, type NewJob } from '../ports/jobs.js';
import type { Executor, Storage } from '../ports/storage.js';
import { insertJob } from './jobs.repo.js';

export interface JobQueueDependencies {
  storage: Storage;
  clock: Clock;
}

/**
 * The `JobQueue` port over the jobs table. The notification goes out through the caller's
 * executor, so PostgreSQL delivers it at commit (never for a rolled-back job); it names the job
 * type, so a worker wakes only for types it runs.
 */
export function createJobQueue<J extends { type: string; payload: unknown } = Job>({ storage, clock }: JobQueueDependencies): JobQueue<J> {
  return {
    async enqueue(executor: Executor, job: NewJob<J>): Promise<string | null> {
      const now = clock.now();
      const id = newId(now.getTime());
      const inserted = await insertJob(executor, {
        id,
        account_id: job.accountId,
        type: job.type,
        payload: JSON.stringify(job.payload),
        dedupe_key: job.dedupeKey ?? null,
        status: 'pending',
        run_at: iso(job.runAt ?? now),
        attempts: 0,
        max_attempts: job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        locked_by: null,
        locked_until: null,
        last_error: null,
        created_at: iso(now),
        updated_at: iso(now),
      });
      if (!inserted) return null;
      await storage.notify(executor, CHANNELS.jobs, job.type);
      return id;
    },
  };
}
