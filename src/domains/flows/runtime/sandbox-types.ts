/**
 * The public types of the `run_function` sandbox (see sandbox.ts), shared by the pool
 * (sandbox-pool.ts) and the checks of what its threads report (sandbox-reply.ts).
 */
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

/** Who runs a function, and on what clock. */
export interface SandboxRunContext {
  /** The account running it: accounts whose runs wait for a thread take turns. */
  accountId?: string;
  /**
   * A simulation's virtual clock: the function's `Date` reads this instant (moving on at the real
   * pace while it runs) and `Math.random` draws from this seed, so a scenario repeats exactly.
   */
  virtualTime?: { nowMs: number; seed: number };
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
   * `RECYCLE_ABOVE_BYTES` (sandbox-pool.ts) or the run had reached its memory cap.
   */
  recycled: number;
}
