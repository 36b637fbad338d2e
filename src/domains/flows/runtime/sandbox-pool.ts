/**
 * The pool of worker threads behind the `run_function` sandbox: see sandbox.ts for how it
 * queues runs, watches their deadlines and replaces threads that misbehave or grow too large.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FairQueue } from '../../../kernel/fair-queue.js';
import type { RunRequest } from './sandbox-worker.mjs';
import { readReply, toOutcome, truncate } from './sandbox-reply.js';
import type { SandboxLimits, SandboxOutcome, SandboxPoolOptions, SandboxPoolStats, SandboxRunContext } from './sandbox-types.js';

const DEFAULT_GRACE_MS = 1000;
/**
 * Default cap on a thread's V8 heap: its baseline is about 10 MiB; the largest result a run can
 * produce (a few tens of MB at the largest memory limit) is held there a few times over.
 */
const DEFAULT_WORKER_HEAP_MB = 256;
const MIB = 1024 * 1024;
/** A thread whose QuickJS memory grew past this (twice the 16 MiB a module starts with) is replaced after its run. */
const RECYCLE_ABOVE_BYTES = 32 * MIB;
/** Bound on a thread's time to report that a run started: instantiating and warming up QuickJS. */
const STARTUP_LIMIT_MS = 30_000;
const WORKER_URL = new URL('./sandbox-worker.mjs', import.meta.url);

interface Job {
  id: number;
  code: string;
  vars: Readonly<Record<string, string>>;
  limits: SandboxLimits;
  virtualTime: SandboxRunContext['virtualTime'];
  resolve(outcome: SandboxOutcome): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  /** When the current job's thread reported its start (`performance.now()`); undefined before. */
  startedAt: number | undefined;
  /** The startup bound, then the deadline-plus-grace watchdog, of the current job. */
  timer: NodeJS.Timeout | undefined;
  /** Dropped from the pool (terminated, crashed or closed); its later events are ignored. */
  retired: boolean;
}

/** Worker threads running `run_function` code; see sandbox.ts. */
export class SandboxPool {
  private readonly size: number;
  private readonly graceMs: number;
  private readonly workerUrl: URL;
  private readonly workerHeapMb: number;
  private readonly slots = new Set<Slot>();
  /** Runs waiting for a thread, the accounts that submitted them served in turn. */
  private readonly queue = new FairQueue<Job>();
  private readonly idleWaiters: (() => void)[] = [];
  /** Terminations under way of threads already dropped from the pool; `close()` waits for them. */
  private readonly terminations = new Set<Promise<void>>();
  private nextId = 1;
  private closed = false;
  private terminated = 0;
  private crashed = 0;
  private recycled = 0;

  constructor(options: SandboxPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? Math.min(2, availableParallelism())));
    this.graceMs = Math.max(0, options.graceMs ?? DEFAULT_GRACE_MS);
    this.workerUrl = options.workerUrl ?? WORKER_URL;
    this.workerHeapMb = Math.max(1, options.workerHeapMb ?? DEFAULT_WORKER_HEAP_MB);
  }

  get stats(): SandboxPoolStats {
    let busy = 0;
    for (const slot of this.slots) if (slot.job) busy++;
    return {
      workers: this.slots.size,
      busy,
      queued: this.queue.size,
      terminated: this.terminated,
      crashed: this.crashed,
      recycled: this.recycled,
    };
  }

  /**
   * `runUserFunction` (sandbox.ts) on this pool: while runs wait for a thread, the accounts that
   * sent them take turns. Rejects once the pool is closed.
   */
  run(code: string, vars: Readonly<Record<string, string>>, limits: SandboxLimits, context: SandboxRunContext = {}): Promise<SandboxOutcome> {
    if (this.closed) return Promise.reject(new Error('the sandbox pool is closed'));
    return new Promise<SandboxOutcome>((resolve, reject) => {
      this.queue.push(context.accountId ?? '', { id: this.nextId++, code, vars, limits, virtualTime: context.virtualTime, resolve, reject });
      this.dispatch();
    });
  }

  /** Refuses new runs, waits for the submitted ones to finish, then terminates every thread. */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.isIdle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await Promise.all([...[...this.slots].map((slot) => this.retire(slot)), ...this.terminations]);
  }

  private isIdle(): boolean {
    return this.queue.size === 0 && this.stats.busy === 0;
  }

  /** Hands queued runs to idle threads, starting threads up to the pool's size. */
  private dispatch(): void {
    for (let job = this.queue.peek(); job; job = this.queue.peek()) {
      let slot = this.idleSlot();
      if (!slot && this.slots.size < this.size) {
        try {
          slot = this.spawn();
        } catch (error) {
          this.queue.shift();
          job.reject(new Error(`the QuickJS sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`));
          continue;
        }
      }
      if (!slot) break;
      this.queue.shift();
      this.assign(slot, job);
    }
    if (this.closed && this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private idleSlot(): Slot | undefined {
    for (const slot of this.slots) if (!slot.job) return slot;
    return undefined;
  }

  private spawn(): Slot {
    // The entry point is plain JavaScript: no loader (tsx) is needed, so none is inherited.
    const worker = new Worker(this.workerUrl, {
      name: 'run_function sandbox',
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.workerHeapMb },
    });
    const slot: Slot = { worker, job: undefined, startedAt: undefined, timer: undefined, retired: false };
    worker.on('message', (message: unknown) => this.onMessage(slot, message));
    worker.on('messageerror', (error: Error) => this.onCrash(slot, error));
    worker.on('error', (error: Error) => this.onCrash(slot, error));
    worker.on('exit', (code: number) => this.onCrash(slot, new Error(`the sandbox thread exited with code ${code}`)));
    this.slots.add(slot);
    return slot;
  }

  private assign(slot: Slot, job: Job): void {
    slot.job = job;
    slot.startedAt = undefined;
    // A busy thread keeps the process alive until its run is answered.
    slot.worker.ref();
    slot.timer = setTimeout(() => this.onStartupOverdue(slot), STARTUP_LIMIT_MS);
    const request: RunRequest = {
      type: 'run',
      id: job.id,
      code: job.code,
      varsJson: JSON.stringify(job.vars),
      limits: { timeoutMs: job.limits.timeoutMs, memoryMb: job.limits.memoryMb },
      ...(job.virtualTime ? { virtualTime: job.virtualTime } : {}),
    };
    slot.worker.postMessage(request);
  }

  private onMessage(slot: Slot, message: unknown): void {
    if (slot.retired) return;
    const job = slot.job;
    const reply = readReply(message);
    if (!job || !reply || reply.id !== job.id) {
      this.onCrash(slot, new Error('the sandbox thread sent an unreadable or unexpected message'));
      return;
    }
    clearTimeout(slot.timer);
    switch (reply.type) {
      case 'started': {
        slot.startedAt = performance.now();
        slot.timer = setTimeout(() => this.onOverrun(slot), job.limits.timeoutMs + this.graceMs);
        return;
      }
      case 'done': {
        this.release(slot);
        if (reply.nearCap || reply.memoryBytes > RECYCLE_ABOVE_BYTES) {
          // Its memory never shrinks: end the thread (which frees it) rather than keep it.
          this.recycled++;
          void this.retire(slot);
        }
        job.resolve(toOutcome(reply));
        break;
      }
      case 'unavailable': {
        this.release(slot);
        job.reject(new Error(reply.error));
        break;
      }
    }
    this.dispatch();
  }

  /** The run is over and the thread is healthy: it becomes idle. */
  private release(slot: Slot): void {
    slot.job = undefined;
    slot.startedAt = undefined;
    slot.timer = undefined;
    slot.worker.unref();
  }

  /** The thread is still busy past its run's deadline and grace: it is stuck in a long built-in call. */
  private onOverrun(slot: Slot): void {
    const job = slot.job;
    const startedAt = slot.startedAt ?? performance.now();
    this.terminated++;
    void this.retire(slot);
    job?.resolve({
      ok: false,
      reason: 'timeout',
      error: `the function did not finish within ${job.limits.timeoutMs} ms`,
      durationMs: Math.round(performance.now() - startedAt),
    });
    this.dispatch();
  }

  /** The thread has not even started the run: QuickJS cannot be instantiated in reasonable time. */
  private onStartupOverdue(slot: Slot): void {
    const job = slot.job;
    this.terminated++;
    void this.retire(slot);
    job?.reject(new Error(`the QuickJS sandbox did not start within ${STARTUP_LIMIT_MS / 1000} s`));
    this.dispatch();
  }

  /**
   * The thread died or misbehaved. A run it had started reports `exception`; one it had not
   * started rejects, like a sandbox that cannot be instantiated (the user's code never ran).
   */
  private onCrash(slot: Slot, error: Error): void {
    if (slot.retired) return;
    const job = slot.job;
    const startedAt = slot.startedAt;
    this.crashed++;
    void this.retire(slot);
    if (job && startedAt !== undefined) {
      const outOfMemory = 'code' in error && error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      job.resolve({
        ok: false,
        reason: outOfMemory ? 'memory' : 'exception',
        error: truncate(outOfMemory ? `the sandbox thread ran out of memory: ${error.message}` : `the sandbox failed: ${error.message}`),
        durationMs: Math.round(performance.now() - startedAt),
      });
    } else {
      job?.reject(new Error(`the QuickJS sandbox failed to start: ${error.message}`));
    }
    this.dispatch();
  }

  /** Drops the thread from the pool and terminates it; its later events are ignored. */
  private async retire(slot: Slot): Promise<void> {
    if (slot.retired) return;
    slot.retired = true;
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
    this.slots.delete(slot);
    const termination = slot.worker.terminate().then(
      () => undefined,
      () => undefined, // Already gone: nothing left to stop.
    );
    this.terminations.add(termination);
    await termination;
    this.terminations.delete(termination);
  }
}
