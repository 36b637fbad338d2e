import { iso, type Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { DialectName, Executor } from '../ports/storage.js';
import { renewLeases, type JobRow } from './jobs.repo.js';

/** Leases this close to running out count as lapsed for claims. */
const LAPSE_MARGIN_MS = 1000;

/** Ids per lease-renewal statement (well under SQLite's 32,766 bound parameters). */
const RENEWAL_CHUNK = 10_000;

export interface RunningJob {
  row: JobRow;
  controller: AbortController;
  leaseUntil: number;
  /** The handler returned; only its outcome is still being written. */
  settled: boolean;
  /** The handler waits on an outside party and takes none of the worker's slots. */
  detached: boolean;
}

export interface RunningJobsDependencies {
  db: Executor;
  dialect: DialectName;
  clock: Clock;
  logger: Logger;
  workerId: string;
  leaseMs: number;
}

/**
 * The jobs one worker is running, and the heartbeat that renews their leases every third of a
 * lease so a handler that outlives one lease is not claimed by another worker. A job whose lease
 * this worker lost (another worker claimed it, or the lease ran out while the database was
 * unreachable) has its signal aborted: it will run again elsewhere.
 */
export class RunningJobs {
  private readonly jobs = new Map<string, RunningJob>();
  /** How many of `jobs` are not detached. */
  private attached = 0;
  private cancelHeartbeat: (() => void) | undefined;
  private closed = false;

  constructor(private readonly deps: RunningJobsDependencies) {}

  get size(): number {
    return this.jobs.size;
  }

  /** Jobs that take one of the worker's slots: all but the detached ones. */
  get occupying(): number {
    return this.attached;
  }

  ids(): string[] {
    return [...this.jobs.keys()];
  }

  /**
   * The jobs whose lease may have run out by `now` (a renewal failed): a claim must not take them
   * back from under their handler. Normally none, so a claim's statement does not grow with the
   * jobs running.
   */
  lapsing(now: number): string[] {
    const ids: string[] = [];
    for (const job of this.jobs.values()) if (job.leaseUntil <= now + LAPSE_MARGIN_MS) ids.push(job.row.id);
    return ids;
  }

  add(row: JobRow): RunningJob {
    const job: RunningJob = {
      row,
      controller: new AbortController(),
      leaseUntil: row.locked_until === null ? 0 : Date.parse(row.locked_until),
      settled: false,
      detached: false,
    };
    this.jobs.set(row.id, job);
    this.attached += 1;
    this.armHeartbeat();
    return job;
  }

  /** The job stops taking a slot; false when it already had. */
  detach(job: RunningJob): boolean {
    if (job.detached || !this.jobs.has(job.row.id)) return false;
    job.detached = true;
    this.attached -= 1;
    return true;
  }

  delete(id: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    if (!job.detached) this.attached -= 1;
  }

  /** Tells the handlers still running to give up; their jobs run again elsewhere. */
  abandonAll(reason: string): void {
    for (const job of this.jobs.values()) this.abandon(job, reason);
  }

  /** Stops renewing: after this, leases of jobs still running are left to expire. */
  close(): void {
    this.closed = true;
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = undefined;
  }

  private abandon(job: RunningJob, reason: string): void {
    // A handler that already returned has nothing to stop; its outcome write is fenced anyway.
    if (job.settled || job.controller.signal.aborted || !this.jobs.has(job.row.id)) return;
    this.deps.logger.warn({ job: job.row.id, type: job.row.type }, `aborting a running job: ${reason}`);
    job.controller.abort(new Error(reason));
  }

  private armHeartbeat(): void {
    if (this.cancelHeartbeat || this.closed) return;
    this.cancelHeartbeat = this.deps.clock.setTimer(this.deps.leaseMs / 3, () => {
      this.cancelHeartbeat = undefined;
      void this.renew().finally(() => {
        if (this.jobs.size > 0) this.armHeartbeat();
      });
    });
  }

  private async renew(): Promise<void> {
    const jobs = [...this.jobs.values()];
    if (jobs.length === 0) return;
    const now = this.deps.clock.now().getTime();
    const until = now + this.deps.leaseMs;
    try {
      const held = new Set<string>();
      for (let start = 0; start < jobs.length; start += RENEWAL_CHUNK) {
        const ids = jobs.slice(start, start + RENEWAL_CHUNK).map((j) => j.row.id);
        for (const id of await renewLeases(this.deps.db, this.deps.dialect, this.deps.workerId, ids, iso(new Date(until)), iso(new Date(now)))) held.add(id);
      }
      for (const job of jobs) {
        if (held.has(job.row.id)) job.leaseUntil = until;
        else this.abandon(job, 'another worker claimed the job after this one lost its lease');
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not renew job leases');
      for (const job of jobs) {
        if (job.leaseUntil <= this.deps.clock.now().getTime()) this.abandon(job, 'the lease ran out while the database was unreachable');
      }
    }
  }
}
