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
 *   running one function at a time; further runs wait in a queue where the accounts that sent
 *   them take turns (one account's burst does not hold the others' runs behind all of it), each
 *   account's in the order they came, and a run's clock (its deadline and `durationMs`) starts
 *   when a thread takes it, not while it waits;
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
 * `RECYCLE_ABOVE_BYTES` (sandbox-pool.ts) (twice the 16 MiB a module starts with), or whose run reached its
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
import { SandboxPool } from './sandbox-pool.js';
import type { SandboxLimits, SandboxOutcome, SandboxRunContext } from './sandbox-types.js';

export { SandboxPool } from './sandbox-pool.js';
export type { SandboxFailureReason, SandboxLimits, SandboxOutcome, SandboxPoolOptions, SandboxPoolStats, SandboxRunContext } from './sandbox-types.js';

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
export async function runUserFunction(code: string, vars: Readonly<Record<string, string>>, limits: SandboxLimits, context: SandboxRunContext = {}): Promise<SandboxOutcome> {
  shared ??= new SandboxPool();
  return shared.run(code, vars, limits, context);
}

/** Closes the shared pool (see {@link SandboxPool.close}); a later run starts a new one. */
export async function closeSandbox(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
