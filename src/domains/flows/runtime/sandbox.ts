/**
 * The `run_function` sandbox: the user's JavaScript module runs in QuickJS compiled to
 * WebAssembly, with a deadline and a memory cap, on a worker thread (sandbox-worker.mjs holds the
 * QuickJS side and describes what the code can reach: the ECMAScript built-ins only). This side
 * keeps a small pool of those threads, queues runs, checks what they report and stops the ones
 * that misbehave, so a user's infinite loop or huge allocation fails the component and never
 * holds the server's event loop.
 *
 * The pool:
 * - `size` threads at most (default: min(2, os.availableParallelism())), started on demand, each
 *   running one function at a time; further runs wait in a first-come first-served queue, and a
 *   run's clock (its deadline and `durationMs`) starts when a thread takes it, not while it waits;
 * - a thread still busy `graceMs` (default 1000 ms) past its run's deadline (a single long
 *   built-in call that the interrupt handler cannot stop) is terminated and the run reports
 *   `timeout`; a thread that crashes or exits during a run makes it report `exception`; either
 *   way a new thread replaces it on the next run;
 * - an idle thread does not keep the process alive (it is unref'd), a busy one does, like any
 *   pending work; `close()` waits for the runs already submitted, then terminates every thread.
 *
 * Memory. A run's memory is capped inside the thread by the maximum of its QuickJS module's
 * WebAssembly memory (see sandbox-worker.mjs). That memory never shrinks, so each reply reports
 * its size and whether the run reached the cap, and a thread whose memory grew past
 * {@link RECYCLE_ABOVE_BYTES} (twice the 16 MiB a module starts with), or whose run reached its
 * cap, is terminated once the run is answered (`stats.recycled`): the next run starts a fresh
 * thread, and a function that filled its memory leaves nothing behind (terminating the thread
 * frees its memory at once, where a module dropped inside it would wait for garbage collection).
 * A thread's own V8 heap (the glue, the strings passed in and out) is capped too
 * (`workerHeapMb`, through the Worker's `resourceLimits`); a thread that exceeds it ends, and its
 * run reports `memory`.
 *
 * `runUserFunction` uses one shared pool of the default size, created on first use;
 * `closeSandbox()` closes it (the app's `close()` calls it) and a later run starts a new one.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DoneReply, RunRequest, RunResult, WorkerReply } from './sandbox-worker.mjs';

export interface SandboxLimits {
  /** Wall-clock budget for evaluating the module and running its default export. */
  timeoutMs: number;
  /**
   * Cap on the memory of the run, in MiB: everything QuickJS allocates for it (objects, strings,
   * typed arrays, the result). A run can use at least this much and at most about 1.05 × this
   * + 3 MiB, or about 10.8 MiB if that is more (the free part of the 16 MiB a module starts with).
   * A run that fills it fails with `memory`, even if it catches QuickJS's error.
   */
  memoryMb: number;
}

export type SandboxFailureReason = 'timeout' | 'memory' | 'exception' | 'invalid_result';

export type SandboxOutcome =
  | { ok: true; result: Record<string, string>; durationMs: number }
  | { ok: false; error: string; reason: SandboxFailureReason; durationMs: number };

export interface SandboxPoolOptions {
  /** The most worker threads the pool runs at once (default: min(2, os.availableParallelism())). */
  size?: number;
  /** How long past a run's deadline its thread may stay busy before it is terminated (default 1000 ms). */
  graceMs?: number;
  /** The worker's entry point (default: sandbox-worker.mjs beside this file); tests substitute misbehaving ones. */
  workerUrl?: URL;
  /** Cap on each thread's own V8 heap, in MiB (default 256); the QuickJS memory is outside it. */
  workerHeapMb?: number;
}

export interface SandboxPoolStats {
  /** Threads alive (idle or busy). */
  workers: number;
  /** Threads running a function. */
  busy: number;
  /** Runs waiting for a thread. */
  queued: number;
  /** Threads the pool terminated because they overran a deadline. */
  terminated: number;
  /** Threads that crashed or exited by themselves (including those that exceeded `workerHeapMb`). */
  crashed: number;
  /**
   * Threads terminated after a run because their WebAssembly memory had grown past
   * {@link RECYCLE_ABOVE_BYTES} or the run had reached its memory cap.
   */
  recycled: number;
}

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
const FAILURE_REASONS: readonly string[] = ['timeout', 'memory', 'exception', 'invalid_result'] satisfies SandboxFailureReason[];
const MAX_ERROR_CHARS = 500;

interface Job {
  id: number;
  code: string;
  vars: Readonly<Record<string, string>>;
  limits: SandboxLimits;
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

/** Worker threads running `run_function` code; see the file header. */
export class SandboxPool {
  private readonly size: number;
  private readonly graceMs: number;
  private readonly workerUrl: URL;
  private readonly workerHeapMb: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
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
      queued: this.queue.length,
      terminated: this.terminated,
      crashed: this.crashed,
      recycled: this.recycled,
    };
  }

  /** {@link runUserFunction} on this pool; rejects once the pool is closed. */
  run(code: string, vars: Readonly<Record<string, string>>, limits: SandboxLimits): Promise<SandboxOutcome> {
    if (this.closed) return Promise.reject(new Error('the sandbox pool is closed'));
    return new Promise<SandboxOutcome>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, code, vars, limits, resolve, reject });
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
    return this.queue.length === 0 && this.stats.busy === 0;
  }

  /** Hands queued runs to idle threads, starting threads up to the pool's size. */
  private dispatch(): void {
    for (let job = this.queue[0]; job; job = this.queue[0]) {
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

function readReply(message: unknown): WorkerReply | undefined {
  if (!isRecord(message) || typeof message.id !== 'number') return undefined;
  switch (message.type) {
    case 'started':
      return { type: 'started', id: message.id };
    case 'unavailable':
      return typeof message.error === 'string' ? { type: 'unavailable', id: message.id, error: message.error } : undefined;
    case 'done': {
      const outcome = readRunResult(message.outcome);
      const { durationMs, memoryBytes, nearCap } = message;
      if (!outcome || !isCount(durationMs) || !isCount(memoryBytes) || typeof nearCap !== 'boolean') return undefined;
      return { type: 'done', id: message.id, outcome, durationMs, memoryBytes, nearCap };
    }
    default:
      return undefined;
  }
}

function readRunResult(value: unknown): RunResult | undefined {
  if (!isRecord(value)) return undefined;
  if (value.ok === true) {
    if (!isRecord(value.result)) return undefined;
    const entries: [string, string][] = [];
    for (const [name, item] of Object.entries(value.result)) {
      if (typeof item !== 'string') return undefined;
      entries.push([name, item]);
    }
    return { ok: true, result: Object.fromEntries(entries) };
  }
  if (value.ok === false && typeof value.reason === 'string' && isFailureReason(value.reason) && typeof value.error === 'string') {
    return { ok: false, reason: value.reason, error: truncate(value.error) };
  }
  return undefined;
}

function toOutcome(reply: DoneReply): SandboxOutcome {
  const { outcome, durationMs } = reply;
  return outcome.ok
    ? { ok: true, result: outcome.result, durationMs }
    : { ok: false, error: outcome.error, reason: outcome.reason, durationMs };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isFailureReason(value: string): value is SandboxFailureReason {
  return FAILURE_REASONS.includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS - 1)}…`;
}

let shared: SandboxPool | undefined;

/**
 * Runs `code` (an ES module whose default export takes the variables and returns an object of
 * new variable values) on the shared pool and reports what it returned or why it failed.
 * Strings, numbers and booleans are accepted as values (numbers and booleans become strings); an
 * async function's Promise is awaited within the same deadline. Never rejects because of the
 * user's code; it rejects only if the sandbox itself cannot start (the WebAssembly module cannot
 * be instantiated, the worker thread cannot load). `durationMs` counts from the start of the run,
 * not the wait for a thread or the one-off instantiation of QuickJS in a new thread.
 */
export async function runUserFunction(code: string, vars: Readonly<Record<string, string>>, limits: SandboxLimits): Promise<SandboxOutcome> {
  shared ??= new SandboxPool();
  return shared.run(code, vars, limits);
}

/** Closes the shared pool (see {@link SandboxPool.close}); a later run starts a new one. */
export async function closeSandbox(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
