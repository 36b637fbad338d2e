import { hostname } from 'node:os';
import type { z } from 'zod';
import { iso } from '../kernel/clock.js';
import { newSecret } from '../kernel/ids.js';
import { CHANNELS } from '../ports/channels.js';
import type { PayloadSchemas } from '../ports/jobs.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import type { JobHandler } from './handler.js';
import { claimJobs, nextRunAt, type JobRow } from './jobs.repo.js';
import { runJob, type Disposition, type RunJobDependencies } from './run-job.js';
import { JobPools } from './job-pools.js';
import { RunningJobs } from './running-jobs.js';
import type { Worker, WorkerOptions, WorkerStats } from './worker.types.js';

export type { Worker, WorkerOptions, WorkerStats } from './worker.types.js';


/** How long `stop()` waits for aborted handlers to record their attempt. */
const ABORT_GRACE_MS = 1000;

export function createWorker<S extends PayloadSchemas>(options: WorkerOptions<S>): Worker {
  return new JobWorker(options);
}

interface Runner {
  schema: z.ZodType;
  handler: JobHandler<unknown>;
}

class JobWorker<S extends PayloadSchemas> implements Worker {
  readonly id: string;
  readonly stats: WorkerStats = { claimed: 0, succeeded: 0, retried: 0, failed: 0, leasesLost: 0, running: 0 };
  private readonly runners = new Map<string, Runner>();
  private readonly types: string[];
  /** Claim passes that failed in a row (the database unreachable). */
  private failedClaims = 0;
  /** The types that take the shared slots. */
  private readonly shared: string[];
  private readonly pools: JobPools;
  private readonly running: RunningJobs;
  /** Settles when the job's outcome is recorded (or could not be); never rejects. */
  private readonly finishing = new Set<Promise<void>>();
  private readonly concurrency: number;
  readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly run: RunJobDependencies;
  private state: 'idle' | 'started' | 'stopping' | 'stopped' = 'idle';
  private pass: Promise<void> | undefined;
  private again = false;
  /**
   * The last claim pass stopped because every slot was taken, so due jobs may be waiting for one.
   * Only then does a slot freed by a job that detaches or finishes need a pass: otherwise the pass
   * found fewer due jobs than free slots, and jobs enqueued or falling due since wake the worker
   * themselves (notification, due timer, poll). Each pass costs time proportional to the jobs
   * running (the claim walks them), so a pass per job would make starting n jobs O(n²).
   */
  private full = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private due: { at: number; cancel: () => void } | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: WorkerOptions<S>) {
    this.id = options.id ?? `${hostname()}/${process.pid}/${newSecret(6)}`;
    for (const type of Object.keys(options.schemas)) {
      // Schemas and handlers are keyed by the same types (JobHandlers<S>), so each pair matches.
      const handler = options.handlers[type] as JobHandler<unknown>;
      this.runners.set(type, { schema: options.schemas[type] as z.ZodType, handler });
    }
    this.types = [...this.runners.keys()];
    this.pools = new JobPools(options.pools ?? {}, this.types);
    this.shared = this.types.filter((type) => !this.pools.has(type));
    this.concurrency = options.concurrency ?? 10;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 1000;
    const logger = options.logger.child({ worker: this.id });
    this.run = {
      db: options.storage.db,
      batch: (work) => options.storage.batch(work),
      clock: options.clock,
      logger,
      workerId: this.id,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      random: options.random ?? Math.random,
      ...(options.abandoned ? { abandoned: options.abandoned } : {}),
    };
    this.running = new RunningJobs({ db: options.storage.db, dialect: options.storage.dialect, clock: options.clock, logger, workerId: this.id, leaseMs: this.leaseMs });
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error('a worker starts once');
    // A notification names the job type; a reconnected listener may have missed some, so look now.
    this.unlisten = await this.options.storage.listen(
      CHANNELS.jobs,
      (type) => {
        if (this.runners.has(type)) this.wake();
      },
      () => this.wake(),
    );
    this.state = 'started';
    this.wake();
  }

  async drain(): Promise<number> {
    if (this.state !== 'idle') throw new Error('drain() is for a worker that was never started');
    let ran = 0;
    for (;;) {
      const rows = await this.claim(this.types, this.concurrency - this.running.occupying);
      if (rows.length === 0) return ran;
      ran += rows.length;
      await Promise.all(rows.map((row) => this.launch(row)));
    }
  }

  hasRoom(type: string): boolean {
    const room = this.pools.room(type) ?? this.concurrency - this.running.occupying;
    return this.state === 'started' && room > 0;
  }

  adopt(rows: JobRow[]): void {
    if (this.state !== 'started') return;
    this.stats.claimed += rows.length;
    for (const row of rows) void this.launch(row);
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  /** Starts a claim pass, or asks the one in progress to go round again. */
  private wake(): void {
    if (this.state !== 'started') return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.fillSlots().finally(() => {
      this.pass = undefined;
      this.armPoll();
    });
  }

  private async fillSlots(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.claimUntilFullOrIdle();
        if (this.failedClaims > 0) this.run.logger.info({ failures: this.failedClaims }, 'claiming jobs works again');
        this.failedClaims = 0;
      } catch (error) {
        // Said once per outage, not at every poll while the database stays away.
        if (this.failedClaims === 0) this.run.logger.warn({ err: error }, 'claiming jobs failed; trying again at every poll until it works');
        this.failedClaims += 1;
        return;
      }
    } while (this.again && this.state === 'started');
  }

  private async claimUntilFullOrIdle(): Promise<void> {
    for (;;) {
      if (this.state !== 'started') return;
      const free = this.concurrency - this.running.occupying;
      this.full = free <= 0;
      let more = false;
      if (free > 0 && this.shared.length > 0) {
        const rows = await this.claim(this.shared, free);
        for (const row of rows) void this.launch(row);
        more = rows.length === free;
      }
      for (const type of this.pools.types()) {
        const room = this.pools.room(type) ?? 0;
        if (room > 0) {
          const rows = await this.claim([type], room);
          for (const row of rows) void this.launch(row);
          if (rows.length < room) continue;
        }
        // Full: due jobs of this type wait until one of its jobs ends.
        this.pools.starve(type);
      }
      if (!more) {
        const waiting = this.types.filter((type) => (this.pools.has(type) ? this.pools.claimable(type) : !this.full));
        const next = await nextRunAt(this.run.db, waiting);
        if (next !== undefined) this.armDue(Date.parse(next));
        return;
      }
    }
  }

  private async claim(types: readonly string[], limit: number): Promise<JobRow[]> {
    const now = this.options.clock.now().getTime();
    const rows = await claimJobs(this.run.db, this.options.storage.dialect, {
      workerId: this.id,
      types,
      exclude: this.running.lapsing(now),
      limit,
      now: iso(new Date(now)),
      leaseUntil: iso(new Date(now + this.leaseMs)),
    });
    this.stats.claimed += rows.length;
    return rows;
  }

  /** Runs one claimed job; the promise never rejects. */
  private launch(row: JobRow): Promise<void> {
    const runner = this.runners.get(row.type);
    if (!runner) throw new Error(`claimed a job of type ${row.type}, which this worker does not run`);
    const job = this.running.add(row);
    if (this.pools.has(row.type)) {
      // A pooled job never takes a shared slot.
      this.running.detach(job);
      this.pools.take(row.type);
    }
    this.stats.running = this.running.size;
    const handler: JobHandler<unknown> = async (payload, context) => {
      try {
        return await runner.handler(payload, context);
      } finally {
        job.settled = true;
      }
    };
    const detach = (): void => {
      if (this.running.detach(job)) this.slotFreed();
    };
    const finished: Promise<void> = runJob(this.run, row, runner.schema, handler, { signal: job.controller.signal, detach })
      .then(
        (disposition) => this.record(disposition),
        (error: unknown) => this.run.logger.error({ err: error, job: row.id }, 'could not record a job outcome; the job runs again after its lease'),
      )
      .finally(() => {
        this.running.delete(row.id);
        this.finishing.delete(finished);
        this.stats.running = this.running.size;
        if (this.pools.release(row.type)) this.wake();
        this.slotFreed();
      });
    this.finishing.add(finished);
    return finished;
  }

  /** A job stopped taking a slot: claim again if jobs may be waiting for one, or a pass is under way. */
  private slotFreed(): void {
    if (this.full || this.pass) this.wake();
  }

  private record(disposition: Disposition): void {
    switch (disposition.kind) {
      case 'succeeded':
        this.stats.succeeded += 1;
        return;
      case 'repeated':
        this.stats.succeeded += 1;
        this.armDue(disposition.nextRunAt.getTime());
        return;
      case 'retried':
        this.stats.retried += 1;
        this.armDue(disposition.nextRunAt.getTime());
        return;
      case 'failed':
        this.stats.failed += 1;
        return;
      case 'lease_lost':
        this.stats.leasesLost += 1;
        return;
    }
  }

  /** Wakes at `at` (the clock's time: when a job falls due) unless an earlier wake is already set. */
  private armDue(at: number): void {
    const delay = at - this.options.clock.now().getTime();
    // A job already due but not claimed is being claimed by another worker; the poll covers it.
    if (this.state !== 'started' || delay <= 0 || (this.due && this.due.at <= at)) return;
    this.due?.cancel();
    const cancel = this.options.clock.setTimer(delay, () => {
      this.due = undefined;
      this.wake();
    });
    this.due = { at, cancel };
  }

  /** Wall-clock, not the injected clock: it bounds how late a missed notification is noticed. */
  private armPoll(): void {
    clearTimeout(this.pollTimer);
    if (this.state !== 'started') return;
    this.pollTimer = setTimeout(() => this.wake(), this.pollMs);
    this.pollTimer.unref();
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopping';
    clearTimeout(this.pollTimer);
    this.due?.cancel();
    this.due = undefined;
    await this.unlisten?.().catch((error: unknown) => this.run.logger.warn({ err: error }, 'could not stop listening for jobs'));
    // A claim in flight may still launch jobs; they belong to the set stop() waits for.
    await this.pass;
    const all = Promise.all(this.finishing);
    if (!(await settlesWithin(all, this.options.stopTimeoutMs ?? 10_000))) {
      this.running.abandonAll('the worker is stopping');
      // A handler that honours the abort records a failed attempt, so another node retries it
      // after backoff instead of after the lease; one that ignores it is left to its lease.
      if (!(await settlesWithin(all, ABORT_GRACE_MS))) {
        this.run.logger.warn({ jobs: this.running.ids() }, 'stopped before these jobs finished; they run again once their leases expire');
      }
    }
    this.state = 'stopped';
    this.running.close();
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
