import type { Transaction } from 'kysely';
import { iso, type Clock } from '../kernel/clock.js';
import { newId } from '../kernel/ids.js';
import { CHANNELS } from '../ports/channels.js';
import { DEFAULT_MAX_ATTEMPTS, type Job, type JobQueue, type NewJob } from '../ports/jobs.js';
import type { Database, Executor, Storage } from '../ports/storage.js';
import { cancelPendingJob, insertJob, reschedulePendingJobs, type JobRow } from './jobs.repo.js';

export interface JobQueueDependencies {
  storage: Storage;
  clock: Clock;
}

/** The worker running on this node, as the queue hands it jobs enqueued `here`. */
export interface LocalWorker {
  readonly id: string;
  readonly leaseMs: number;
  /** Whether a job of `type` claimed for it now would start at once (a slot of its pool is free); when not, jobs enqueued `here` wait in the table like any other. */
  hasRoom(type: string): boolean;
  /** Runs jobs already claimed in its name. */
  adopt(rows: JobRow[]): void;
}

export interface LocalJobQueue<J extends { type: string; payload: unknown }> extends JobQueue<J> {
  /** From now on, jobs enqueued `here` in `transaction` are claimed for and started on `worker`. */
  attach(worker: LocalWorker): void;
}

/**
 * The `JobQueue` port over the jobs table. The notification goes out through the caller's
 * executor, so PostgreSQL delivers it at commit (never for a rolled-back job); it names the job
 * type, so a worker wakes only for types it runs.
 */
export function createJobQueue<J extends { type: string; payload: unknown } = Job>({ storage, clock }: JobQueueDependencies): LocalJobQueue<J> {
  let local: LocalWorker | undefined;
  /** Jobs claimed for the local worker, by the open `transaction` that enqueued them. */
  const claimedIn = new WeakMap<Executor, JobRow[]>();
  /** The job types a transaction has announced already: PostgreSQL delivers one of each at commit anyway, so once is a round trip saved per job of a shared commit. */
  const announcedIn = new WeakMap<Executor, Set<string>>();
  const announce = async (executor: Executor, type: string) => {
    if (executor.isTransaction) {
      const announced = announcedIn.get(executor) ?? new Set<string>();
      if (announced.has(type)) return;
      announcedIn.set(executor, announced.add(type));
    }
    await storage.notify(executor, CHANNELS.jobs, type);
  };

  return {
    async enqueue(executor: Executor, job: NewJob<J>): Promise<string | null> {
      const now = clock.now();
      const id = newId(now.getTime());
      const claimed = job.here && local?.hasRoom(job.type) ? claimedIn.get(executor) : undefined;
      const row: JobRow = {
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
      };
      // Claimed as a worker's claim would (one attempt counted), so a lost node's job is taken over after its lease.
      if (claimed && local && !job.runAt) Object.assign(row, { status: 'running', attempts: 1, locked_by: local.id, locked_until: iso(new Date(now.getTime() + local.leaseMs)) });
      if (!(await insertJob(executor, row))) return null;
      if (row.status === 'running') claimed?.push(row);
      else await announce(executor, job.type);
      return id;
    },

    async transaction<T>(work: (trx: Transaction<Database>) => Promise<T>, options: { shared?: boolean } = {}): Promise<T> {
      // A shared transaction collects the claims of every piece of work in it; the first to learn
      // that it committed hands them all over. A group that failed is rolled back with its claims,
      // each piece running again in a transaction of its own: only the last one it ran in counts.
      let committedIn: Transaction<Database> | undefined;
      const run = (trx: Transaction<Database>) => {
        committedIn = trx;
        if (!claimedIn.has(trx)) claimedIn.set(trx, []);
        return work(trx);
      };
      const result = await (options.shared ? storage.batch(run) : storage.db.transaction().execute(run));
      const claimed = committedIn && claimedIn.get(committedIn);
      if (claimed && claimed.length > 0) local?.adopt(claimed.splice(0));
      return result;
    },

    cancel(executor: Executor, accountId: string, dedupeKey: string): Promise<boolean> {
      return cancelPendingJob(executor, accountId, dedupeKey);
    },

    async reschedule(executor: Executor, accountId: string, type: J['type'], runAt: Date): Promise<number> {
      const moved = await reschedulePendingJobs(executor, accountId, type, iso(runAt), iso(clock.now()));
      if (moved > 0) await announce(executor, type);
      return moved;
    },

    attach(worker: LocalWorker): void {
      local = worker;
    },
  };
}
