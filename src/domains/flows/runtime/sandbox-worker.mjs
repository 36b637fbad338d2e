// @ts-check
/**
 * The worker thread of the `run_function` sandbox (sandbox.ts starts and manages these): the
 * user's JavaScript module runs here in QuickJS compiled to WebAssembly (`quickjs-emscripten`,
 * release sync variant, its .wasm file shipped in the package), with a deadline and a heap limit.
 *
 * Plain JavaScript on purpose: a worker thread is loaded by Node itself, not by tsx or vitest,
 * so this file must run untransformed. It is type-checked through the JSDoc below (`allowJs`).
 *
 * The thread runs one request at a time. Each run gets a fresh QuickJS runtime and context,
 * freed afterwards whatever happened (disposed, or after a host-level fault dropped together
 * with the whole WebAssembly module, the next run instantiating a new one), so nothing carries
 * over between runs.
 *
 * What the code can reach: the ECMAScript built-ins only. No host function is exposed and no
 * module loader is set, so there is no `process`, `require`, `fetch`, timers, console, `import`
 * of anything or other I/O.
 *
 * The interrupt handler stops bytecode at the deadline; a single built-in call such as sorting a
 * huge array finishes first (the heap limit bounds how long that can take), and a thread that is
 * still busy well past the deadline is terminated by the pool.
 *
 * Message protocol (one request in flight per thread):
 * - the pool sends a {@link RunRequest};
 * - the thread answers {@link StartedReply} once its QuickJS module is ready and the run's clock
 *   starts (the pool's watchdog counts from there), then {@link DoneReply} with the outcome;
 * - or, instead of both, {@link UnavailableReply} if the module cannot be instantiated.
 */
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { newQuickJSWASMModule, RELEASE_SYNC, Scope } from 'quickjs-emscripten';

/** @import { MessagePort } from 'node:worker_threads' */
/** @import { DisposableResult, QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten' */

/**
 * @typedef {object} RunLimits
 * @property {number} timeoutMs Wall-clock budget for evaluating the module and running its default export.
 * @property {number} memoryMb Cap on the QuickJS heap of the run, in MiB.
 */

/** @typedef {'timeout' | 'memory' | 'exception' | 'invalid_result'} FailureReason */

/**
 * @typedef {{ ok: true, result: Record<string, string> }
 *   | { ok: false, reason: FailureReason, error: string }} RunResult
 */

/**
 * @typedef {object} RunRequest
 * @property {'run'} type
 * @property {number} id Echoed in the replies.
 * @property {string} code The user's ES module.
 * @property {string} varsJson The variables, as a JSON object of strings.
 * @property {RunLimits} limits
 */

/**
 * @typedef {object} StartedReply
 * @property {'started'} type
 * @property {number} id
 */

/**
 * @typedef {object} DoneReply
 * @property {'done'} type
 * @property {number} id
 * @property {RunResult} outcome
 * @property {number} durationMs From the start of the run, in whole milliseconds.
 */

/**
 * @typedef {object} UnavailableReply
 * @property {'unavailable'} type
 * @property {number} id
 * @property {string} error Why the QuickJS module could not be instantiated.
 */

/** @typedef {StartedReply | DoneReply | UnavailableReply} WorkerReply */

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
/** @type {RunLimits} */
const WARM_UP_LIMITS = { timeoutMs: 10_000, memoryMb: 8 };
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
  /**
   * @param {FailureReason} reason
   * @param {string} message
   */
  constructor(reason, message) {
    super(message);
    /** @readonly */
    this.reason = reason;
  }
}

/**
 * The thread's QuickJS module, instantiated on the first request and again after a host-level
 * fault dropped it. Requests are served one at a time, so nothing else uses it meanwhile.
 * @type {Promise<QuickJSWASMModule> | undefined}
 */
let modulePromise;

/** @returns {Promise<QuickJSWASMModule>} */
function acquireModule() {
  modulePromise ??= instantiate();
  return modulePromise;
}

/** @returns {Promise<QuickJSWASMModule>} */
async function instantiate() {
  try {
    const module = await newQuickJSWASMModule(RELEASE_SYNC);
    warmUp(module);
    return module;
  } catch (error) {
    modulePromise = undefined;
    throw error;
  }
}

/**
 * The engine's first run in a new module is much slower than later ones (WebAssembly code is
 * compiled lazily); doing it here keeps that out of the first user function's time budget.
 * @param {QuickJSWASMModule} module
 */
function warmUp(module) {
  const outcome = runInModule(module, 'export default (vars) => ({ warm: vars.warm })', '{"warm":"yes"}', WARM_UP_LIMITS, performance.now());
  if (!outcome.ok) throw new Error(`the QuickJS sandbox failed its warm-up run: ${outcome.error}`);
}

/** Drops the current module (its memory may be inconsistent); the next request instantiates a fresh one. */
function discardModule() {
  modulePromise = undefined;
}

/**
 * @param {MessagePort} port
 * @param {RunRequest} request
 */
async function serve(port, request) {
  /** @type {QuickJSWASMModule} */
  let module;
  try {
    module = await acquireModule();
  } catch (error) {
    /** @type {UnavailableReply} */
    const unavailable = { type: 'unavailable', id: request.id, error: error instanceof Error ? error.message : String(error) };
    port.postMessage(unavailable);
    return;
  }
  /** @type {StartedReply} */
  const started = { type: 'started', id: request.id };
  port.postMessage(started);
  const startedAt = performance.now();
  const outcome = runInModule(module, request.code, request.varsJson, request.limits, startedAt);
  /** @type {DoneReply} */
  const done = { type: 'done', id: request.id, outcome, durationMs: Math.round(performance.now() - startedAt) };
  port.postMessage(done);
}

/**
 * @param {QuickJSWASMModule} module
 * @param {string} code
 * @param {string} varsJson
 * @param {RunLimits} limits
 * @param {number} startedAt
 * @returns {RunResult}
 */
function runInModule(module, code, varsJson, limits, startedAt) {
  const scope = new Scope();
  /** @type {QuickJSRuntime | undefined} */
  let runtime;
  /** @type {SandboxRun | undefined} */
  let run;
  /** @type {RunResult} */
  let outcome;
  try {
    runtime = scope.manage(module.newRuntime());
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    const context = scope.manage(runtime.newContext());
    run = new SandboxRun(runtime, context, scope, limits, startedAt + limits.timeoutMs);
    outcome = { ok: true, result: run.execute(code, varsJson) };
  } catch (error) {
    if (!(error instanceof SandboxFailure)) {
      // A host-level fault (the native stack overflowing inside WebAssembly, an abort): the
      // module's memory may be inconsistent, so it is dropped whole instead of disposed.
      discardModule();
      return run?.timedOut ? run.timeoutResult() : hostFailure(error);
    }
    outcome = { ok: false, reason: error.reason, error: error.message };
  }
  try {
    if (run?.timedOut && runtime?.hasPendingJob()) {
      // Freeing a runtime whose promise jobs were cut off by the interrupt handler can trip
      // QuickJS's leak assertion (objects left on its GC list), which aborts the module: drop
      // the module instead, and the next run instantiates a fresh one.
      discardModule();
    } else {
      scope.dispose();
    }
  } catch {
    // The result is already read; only the module is suspect now.
    discardModule();
  }
  return outcome;
}

/**
 * @param {unknown} error
 * @returns {RunResult}
 */
function hostFailure(error) {
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return { ok: false, reason: 'exception', error: 'RangeError: Maximum call stack size exceeded (the code nests too deeply)' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, reason: 'exception', error: truncate(`the sandbox failed: ${message}`) };
}

class SandboxRun {
  /**
   * @param {QuickJSRuntime} runtime
   * @param {QuickJSContext} context
   * @param {Scope} scope
   * @param {RunLimits} limits
   * @param {number} deadline
   */
  constructor(runtime, context, scope, limits, deadline) {
    this.timedOut = false;
    /** @private @readonly */
    this.runtime = runtime;
    /** @private @readonly */
    this.context = context;
    /** @private @readonly */
    this.scope = scope;
    /** @private @readonly */
    this.limits = limits;
    /** @private @readonly */
    this.deadline = deadline;
    /** @private @readonly */
    this.memoryLimitBytes = Math.floor(limits.memoryMb * MIB);
  }

  /**
   * @param {string} code
   * @param {string} varsJson
   * @returns {Record<string, string>}
   */
  execute(code, varsJson) {
    const { context } = this;
    const harness = this.manage(context.unwrapResult(context.evalCode(HARNESS, HARNESS_FILENAME)));
    const callDefault = this.manage(context.getProp(harness, 0));
    const collect = this.manage(context.getProp(harness, 1));
    const vars = this.manage(context.newString(varsJson));

    this.runtime.setMemoryLimit(this.memoryLimitBytes);
    this.runtime.setInterruptHandler(() => this.expired());

    const namespace = this.settle(this.unwrap(context.evalCode(code, MODULE_FILENAME, { type: 'module' })), {
      reason: 'exception',
      message: 'the module awaits a Promise that never settles (the sandbox has no timers or I/O to wait for)',
    });
    const returned = this.settle(this.unwrap(context.callFunction(callDefault, context.undefined, namespace, vars)), {
      reason: 'invalid_result',
      message: 'the function returned a Promise that never settles (the sandbox has no timers or I/O to wait for)',
    });
    const collected = this.unwrap(context.callFunction(collect, context.undefined, returned));
    if (this.expired()) throw this.timeout();
    if (context.typeof(collected) !== 'string') throw unreadableResult();
    return readCollected(context.getString(collected));
  }

  /** @returns {boolean} */
  expired() {
    if (!this.timedOut && performance.now() >= this.deadline) this.timedOut = true;
    return this.timedOut;
  }

  /** @returns {RunResult} */
  timeoutResult() {
    const failure = this.timeout();
    return { ok: false, reason: failure.reason, error: failure.message };
  }

  /**
   * @private
   * @returns {SandboxFailure}
   */
  timeout() {
    return new SandboxFailure('timeout', `the function did not finish within ${this.limits.timeoutMs} ms`);
  }

  /**
   * @private
   * @param {QuickJSHandle} handle
   * @returns {QuickJSHandle}
   */
  manage(handle) {
    return this.scope.manage(handle);
  }

  /**
   * @private
   * @param {DisposableResult<QuickJSHandle, QuickJSHandle>} result
   * @returns {QuickJSHandle}
   */
  unwrap(result) {
    if (result.error) throw this.failureFrom(this.manage(result.error));
    return this.manage(result.value);
  }

  /**
   * Waits, by running the runtime's promise jobs, until `handle` is no longer a pending Promise.
   * @private
   * @param {QuickJSHandle} handle
   * @param {{ reason: FailureReason, message: string }} neverSettles
   * @returns {QuickJSHandle}
   */
  settle(handle, neverSettles) {
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

  /**
   * Classifies a value thrown inside the guest.
   * @private
   * @param {QuickJSHandle} thrown
   * @returns {SandboxFailure}
   */
  failureFrom(thrown) {
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

/**
 * @param {QuickJSContext} context
 * @param {QuickJSHandle} thrown
 * @returns {{ text: string, outOfMemory: boolean }}
 */
function describeThrown(context, thrown) {
  /** @type {unknown} */
  let value;
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

/**
 * @param {unknown} value
 * @returns {string}
 */
function show(value) {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // A BigInt, which JSON cannot write.
    return String(value);
  }
}

/**
 * @param {string} json
 * @returns {Record<string, string>}
 */
function readCollected(json) {
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw unreadableResult();
  }
  if (isRecord(parsed)) {
    if (typeof parsed.error === 'string') throw new SandboxFailure('invalid_result', truncate(parsed.error));
    if (isRecord(parsed.variables)) {
      /** @type {[string, string][]} */
      const entries = [];
      for (const [name, value] of Object.entries(parsed.variables)) {
        if (typeof value !== 'string') throw unreadableResult();
        entries.push([name, value]);
      }
      return Object.fromEntries(entries);
    }
  }
  throw unreadableResult();
}

/** @returns {SandboxFailure} */
function unreadableResult() {
  return new SandboxFailure('invalid_result', 'the function returned a result that could not be read');
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @param {string} text
 * @returns {string}
 */
function truncate(text) {
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS - 1)}…`;
}

const port = parentPort;
if (!port) throw new Error('sandbox-worker.mjs runs as a worker thread started by sandbox.ts');
// Requests are served strictly in order. A fault that escapes `serve` (none is expected: it
// catches the user's failures and host-level faults) rejects the chain, which crashes this
// thread; the pool then reports the run as failed and starts a new thread.
/** @type {Promise<void>} */
let served = Promise.resolve();
port.on('message', (/** @type {RunRequest} */ request) => {
  served = served.then(() => serve(port, request));
});
