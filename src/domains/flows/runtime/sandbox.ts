/**
 * The `run_function` sandbox: the user's JavaScript module runs in QuickJS compiled to
 * WebAssembly (`quickjs-emscripten`, release sync variant, its .wasm file shipped in the
 * package), with a deadline and a heap limit. Each call gets a fresh QuickJS runtime and
 * context, freed afterwards whatever happened (disposed, or after a host-level fault dropped
 * together with the whole WebAssembly module), so nothing carries over between calls.
 *
 * What the code can reach: the ECMAScript built-ins only. No host function is exposed and no
 * module loader is set, so there is no `process`, `require`, `fetch`, timers, console, `import`
 * of anything or other I/O.
 *
 * The guest runs synchronously on the calling thread: a call holds the event loop for at most
 * about `timeoutMs` (the interrupt handler stops bytecode at the deadline; a single built-in
 * call such as sorting a huge array finishes first, and the heap limit bounds how long that
 * can take).
 */
import {
  newQuickJSWASMModule,
  RELEASE_SYNC,
  Scope,
  type DisposableResult,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';

export interface SandboxLimits {
  /** Wall-clock budget for evaluating the module and running its default export. */
  timeoutMs: number;
  /** Cap on the QuickJS heap of the run, in MiB (the empty runtime itself uses a few hundred KiB of it). */
  memoryMb: number;
}

export type SandboxFailureReason = 'timeout' | 'memory' | 'exception' | 'invalid_result';

export type SandboxOutcome =
  | { ok: true; result: Record<string, string>; durationMs: number }
  | { ok: false; error: string; reason: SandboxFailureReason; durationMs: number };

const MIB = 1024 * 1024;
/**
 * QuickJS's own stack limit. The WebAssembly frames also use the host's native stack, which is
 * much smaller than the module's 5 MB shadow stack; this keeps ordinary deep recursion (~700
 * frames) inside QuickJS's check. Nesting that still reaches the host's limit (deeply nested
 * source or JSON) is caught as a host RangeError and the module is replaced.
 */
const MAX_STACK_BYTES = 128 * 1024;
/** Extra heap allowed while reading the thrown value after a failure (it may have hit the limit). */
const DESCRIBE_HEADROOM_BYTES = MIB;
/** Promise jobs run between two deadline checks while awaiting an async result. */
const JOB_BATCH = 256;
const MAX_ERROR_CHARS = 500;
const WARM_UP_LIMITS: SandboxLimits = { timeoutMs: 10_000, memoryMb: 8 };
const MODULE_FILENAME = 'function.js';
const HARNESS_FILENAME = 'sandbox-harness.js';

/**
 * Evaluated before the user's module, so the built-ins it captures cannot be replaced by it.
 * `call` invokes the default export with a frozen copy of the variables; `collect` turns the
 * returned object into a JSON string of string values, or a JSON `{ error }` explaining why not.
 */
const HARNESS = `(() => {
  'use strict';
  const { freeze, keys, create } = Object;
  const { parse, stringify } = JSON;
  const { isArray } = Array;
  const { isFinite } = Number;
  const NotAFunction = TypeError;
  const kind = (value) =>
    value === null ? 'null'
    : isArray(value) ? 'an array'
    : typeof value === 'object' ? 'an object'
    : typeof value === 'function' ? 'a function'
    : typeof value === 'undefined' ? 'undefined'
    : 'a ' + typeof value;
  const problem = (error) => {
    const out = create(null);
    out.error = error;
    return stringify(out);
  };
  const call = (namespace, varsJson) => {
    const fn = namespace.default;
    if (typeof fn !== 'function') {
      throw new NotAFunction('the default export must be a function: export default (vars) => ({ ... })');
    }
    return fn(freeze(parse(varsJson)));
  };
  const collect = (value) => {
    if (value === null || typeof value !== 'object' || isArray(value)) {
      return problem('the function must return an object of variables, like ({ name: "value" }); it returned ' + kind(value));
    }
    const variables = create(null);
    const names = keys(value);
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const item = value[name];
      if (typeof item === 'string') {
        variables[name] = item;
      } else if (typeof item === 'boolean') {
        variables[name] = item ? 'true' : 'false';
      } else if (typeof item === 'number' && isFinite(item)) {
        variables[name] = '' + item;
      } else if (typeof item === 'number') {
        return problem('variable "' + name + '" is ' + item + ': numbers must be finite');
      } else {
        return problem('variable "' + name + '" is ' + kind(item) + ': only strings, numbers and booleans can be returned');
      }
    }
    const out = create(null);
    out.variables = variables;
    return stringify(out);
  };
  return [call, collect];
})()`;

/** A failure caused by the user's code (or its limits); anything else thrown inside a run is a host-level fault. */
class SandboxFailure extends Error {
  constructor(
    readonly reason: SandboxFailureReason,
    message: string,
  ) {
    super(message);
  }
}

type RunResult = { ok: true; result: Record<string, string> } | { ok: false; reason: SandboxFailureReason; error: string };

let modulePromise: Promise<QuickJSWASMModule> | undefined;
let loadedModule: QuickJSWASMModule | undefined;
/** Modules left in an unknown state by a host-level fault; never used again. */
const discarded = new WeakSet<QuickJSWASMModule>();

async function instantiate(): Promise<QuickJSWASMModule> {
  try {
    const module = await newQuickJSWASMModule(RELEASE_SYNC);
    warmUp(module);
    loadedModule = module;
    return module;
  } catch (error) {
    modulePromise = undefined;
    throw error;
  }
}

/**
 * The engine's first run in a new module is much slower than later ones (WebAssembly code is
 * compiled lazily); doing it here keeps that out of the first user function's time budget.
 */
function warmUp(module: QuickJSWASMModule): void {
  const outcome = runInModule(module, 'export default (vars) => ({ warm: vars.warm })', { warm: 'yes' }, WARM_UP_LIMITS, performance.now());
  if (!outcome.ok) throw new Error(`the QuickJS sandbox failed its warm-up run: ${outcome.error}`);
}

async function acquireModule(): Promise<QuickJSWASMModule> {
  for (;;) {
    modulePromise ??= instantiate();
    const module = await modulePromise;
    if (!discarded.has(module)) return module;
  }
}

function discardModule(module: QuickJSWASMModule): void {
  discarded.add(module);
  if (loadedModule === module) {
    loadedModule = undefined;
    modulePromise = undefined;
  }
}

/**
 * Runs `code` (an ES module whose default export takes the variables and returns an object of
 * new variable values) and reports what it returned or why it failed. Strings, numbers and
 * booleans are accepted as values (numbers and booleans become strings); an async function's
 * Promise is awaited within the same deadline. Never rejects because of the user's code; it
 * rejects only if the WebAssembly module itself cannot be instantiated. `durationMs` counts
 * from the start of the run, not the one-off instantiation of the module on first use.
 */
export async function runUserFunction(code: string, vars: Readonly<Record<string, string>>, limits: SandboxLimits): Promise<SandboxOutcome> {
  const module = await acquireModule();
  const startedAt = performance.now();
  const outcome = runInModule(module, code, vars, limits, startedAt);
  const durationMs = Math.round(performance.now() - startedAt);
  return outcome.ok
    ? { ok: true, result: outcome.result, durationMs }
    : { ok: false, error: outcome.error, reason: outcome.reason, durationMs };
}

function runInModule(
  module: QuickJSWASMModule,
  code: string,
  vars: Readonly<Record<string, string>>,
  limits: SandboxLimits,
  startedAt: number,
): RunResult {
  const scope = new Scope();
  let runtime: QuickJSRuntime | undefined;
  let run: SandboxRun | undefined;
  let outcome: RunResult;
  try {
    runtime = scope.manage(module.newRuntime());
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    const context = scope.manage(runtime.newContext());
    run = new SandboxRun(runtime, context, scope, limits, startedAt + limits.timeoutMs);
    outcome = { ok: true, result: run.execute(code, vars) };
  } catch (error) {
    if (!(error instanceof SandboxFailure)) {
      // A host-level fault (the native stack overflowing inside WebAssembly, an abort): the
      // module's memory may be inconsistent, so it is dropped whole instead of disposed.
      discardModule(module);
      return run?.timedOut ? run.timeoutResult() : hostFailure(error);
    }
    outcome = { ok: false, reason: error.reason, error: error.message };
  }
  try {
    if (run?.timedOut && runtime?.hasPendingJob()) {
      // Freeing a runtime whose promise jobs were cut off by the interrupt handler can trip
      // QuickJS's leak assertion (objects left on its GC list), which aborts the module: drop
      // the module instead, and the next run instantiates a fresh one.
      discardModule(module);
    } else {
      scope.dispose();
    }
  } catch {
    // The result is already read; only the module is suspect now.
    discardModule(module);
  }
  return outcome;
}

function hostFailure(error: unknown): RunResult {
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return { ok: false, reason: 'exception', error: 'RangeError: Maximum call stack size exceeded (the code nests too deeply)' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, reason: 'exception', error: truncate(`the sandbox failed: ${message}`) };
}

class SandboxRun {
  timedOut = false;
  private readonly memoryLimitBytes: number;

  constructor(
    private readonly runtime: QuickJSRuntime,
    private readonly context: QuickJSContext,
    private readonly scope: Scope,
    private readonly limits: SandboxLimits,
    private readonly deadline: number,
  ) {
    this.memoryLimitBytes = Math.floor(limits.memoryMb * MIB);
  }

  execute(code: string, vars: Readonly<Record<string, string>>): Record<string, string> {
    const { context } = this;
    const harness = this.manage(context.unwrapResult(context.evalCode(HARNESS, HARNESS_FILENAME)));
    const callDefault = this.manage(context.getProp(harness, 0));
    const collect = this.manage(context.getProp(harness, 1));
    const varsJson = this.manage(context.newString(JSON.stringify(vars)));

    this.runtime.setMemoryLimit(this.memoryLimitBytes);
    this.runtime.setInterruptHandler(() => this.expired());

    const namespace = this.settle(this.unwrap(context.evalCode(code, MODULE_FILENAME, { type: 'module' })), {
      reason: 'exception',
      message: 'the module awaits a Promise that never settles (the sandbox has no timers or I/O to wait for)',
    });
    const returned = this.settle(this.unwrap(context.callFunction(callDefault, context.undefined, namespace, varsJson)), {
      reason: 'invalid_result',
      message: 'the function returned a Promise that never settles (the sandbox has no timers or I/O to wait for)',
    });
    const collected = this.unwrap(context.callFunction(collect, context.undefined, returned));
    if (this.expired()) throw this.timeout();
    if (context.typeof(collected) !== 'string') throw unreadableResult();
    return readCollected(context.getString(collected));
  }

  expired(): boolean {
    if (!this.timedOut && performance.now() >= this.deadline) this.timedOut = true;
    return this.timedOut;
  }

  timeoutResult(): RunResult {
    const failure = this.timeout();
    return { ok: false, reason: failure.reason, error: failure.message };
  }

  private timeout(): SandboxFailure {
    return new SandboxFailure('timeout', `the function did not finish within ${this.limits.timeoutMs} ms`);
  }

  private manage(handle: QuickJSHandle): QuickJSHandle {
    return this.scope.manage(handle);
  }

  private unwrap(result: DisposableResult<QuickJSHandle, QuickJSHandle>): QuickJSHandle {
    if (result.error) throw this.failureFrom(this.manage(result.error));
    return this.manage(result.value);
  }

  /** Waits, by running the runtime's promise jobs, until `handle` is no longer a pending Promise. */
  private settle(handle: QuickJSHandle, neverSettles: { reason: SandboxFailureReason; message: string }): QuickJSHandle {
    for (;;) {
      const state = this.context.getPromiseState(handle);
      if (state.type === 'fulfilled') return state.notAPromise ? handle : this.manage(state.value);
      if (state.type === 'rejected') throw this.failureFrom(this.manage(state.error));
      if (this.expired()) throw this.timeout();
      if (!this.runtime.hasPendingJob()) throw new SandboxFailure(neverSettles.reason, neverSettles.message);
      const jobs = this.runtime.executePendingJobs(JOB_BATCH);
      if (jobs.error) throw this.failureFrom(this.manage(jobs.error));
    }
  }

  /** Classifies a value thrown inside the guest. */
  private failureFrom(thrown: QuickJSHandle): SandboxFailure {
    if (this.timedOut) return this.timeout();
    this.runtime.setMemoryLimit(this.memoryLimitBytes + DESCRIBE_HEADROOM_BYTES);
    const description = describeThrown(this.context, thrown);
    if (this.expired()) return this.timeout();
    if (description.outOfMemory) {
      return new SandboxFailure('memory', `the function used more than ${this.limits.memoryMb} MB of memory (${description.text})`);
    }
    return new SandboxFailure('exception', description.text);
  }
}

function describeThrown(context: QuickJSContext, thrown: QuickJSHandle): { text: string; outOfMemory: boolean } {
  let value: unknown;
  try {
    value = context.dump(thrown);
  } catch {
    return { text: 'the function threw a value that could not be read', outOfMemory: false };
  }
  if (isRecord(value) && typeof value.message === 'string') {
    const name = typeof value.name === 'string' ? value.name : '';
    const headline = name ? `${name}: ${value.message}` : value.message;
    const at = typeof value.stack === 'string' ? /function\.js:(\d+):(\d+)/.exec(value.stack) : null;
    return {
      text: truncate(at ? `${headline} (line ${at[1]}, column ${at[2]})` : headline),
      // QuickJS reports an exhausted heap as "out of memory", and a string grown past its
      // maximum length (doubling a string builds ropes before allocating) as "string too long".
      outOfMemory: name === 'InternalError' && (value.message === 'out of memory' || value.message === 'string too long'),
    };
  }
  if (typeof value === 'string') return { text: truncate(value), outOfMemory: false };
  return { text: truncate(`the function threw ${show(value)}`), outOfMemory: false };
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // A BigInt, which JSON cannot write.
    return String(value);
  }
}

function readCollected(json: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw unreadableResult();
  }
  if (isRecord(parsed)) {
    if (typeof parsed.error === 'string') throw new SandboxFailure('invalid_result', truncate(parsed.error));
    if (isRecord(parsed.variables)) {
      const entries: [string, string][] = [];
      for (const [name, value] of Object.entries(parsed.variables)) {
        if (typeof value !== 'string') throw unreadableResult();
        entries.push([name, value]);
      }
      return Object.fromEntries(entries);
    }
  }
  throw unreadableResult();
}

function unreadableResult(): SandboxFailure {
  return new SandboxFailure('invalid_result', 'the function returned a result that could not be read');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS - 1)}…`;
}
