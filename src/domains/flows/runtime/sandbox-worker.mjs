// @ts-check
/**
 * The worker thread of the `run_function` sandbox (sandbox.ts starts and manages these): the
 * user's JavaScript module runs here in QuickJS compiled to WebAssembly (`quickjs-emscripten`,
 * release sync variant, its .wasm file shipped in the package), with a deadline and a memory cap.
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
 * huge array finishes first (the memory cap bounds how long that can take), and a thread that is
 * still busy well past the deadline is terminated by the pool.
 *
 * The memory cap. QuickJS's own limit (`runtime.setMemoryLimit`) does not bound a run's total in
 * this build: QuickJS learns block sizes from `malloc_usable_size`, which it takes as 0 under
 * Emscripten, so the running total it checks grows by a fixed 8 bytes per live allocation. It
 * refuses any single allocation larger than the limit and, indirectly, very many small ones, but
 * a loop keeping 100 KB strings or 1 MB typed arrays alive reached hundreds of MB under an 8 MB
 * limit (while QuickJS's own `computeMemoryUsage` counted them). So the module's linear memory
 * itself is the cap: every module is instantiated with a WebAssembly.Memory of our own whose
 * `maximum` is sized for the run ({@link memoryCeiling}). Whatever QuickJS allocates, through any
 * built-in, lives in that memory, which cannot grow past its maximum: the allocation fails,
 * QuickJS throws its "out of memory" error, and the run reports `memory`. The memory tells when it
 * is full ({@link CappedMemory}), so a run that filled it fails with `memory` whatever it did next
 * (caught the error, or left too little memory to describe it), and the interrupt handler stops
 * one that keeps going. A module is kept for the following runs with the same ceiling (its
 * runtime is freed after each run, so they start from the same empty heap); one whose run came
 * near its cap is dropped. WebAssembly memory never shrinks: each reply reports the module's
 * memory size and whether the run came near the cap, and the pool then replaces the thread, which
 * gives the memory back to the system.
 *
 * Message protocol (one request in flight per thread):
 * - the pool sends a {@link RunRequest};
 * - the thread answers {@link StartedReply} once its QuickJS module is ready and the run's clock
 *   starts (the pool's watchdog counts from there), then {@link DoneReply} with the outcome;
 * - or, instead of both, {@link UnavailableReply} if the module cannot be instantiated.
 */
import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { newQuickJSWASMModule, newVariant, RELEASE_SYNC, Scope } from 'quickjs-emscripten';

/** @import { MessagePort } from 'node:worker_threads' */
/** @import { DisposableResult, QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten' */

/**
 * @typedef {object} RunLimits
 * @property {number} timeoutMs Wall-clock budget for evaluating the module and running its default export.
 * @property {number} memoryMb Cap on the memory of the run, in MiB (see {@link memoryCeiling}).
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
 * @property {{ nowMs: number, seed: number }} [virtualTime] A simulation's clock and seed (see {@link virtualTimePrelude}).
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
 * @property {number} memoryBytes Size of the WebAssembly memory of the module that ran the
 *   function, after the run: what the thread keeps holding (it never shrinks) until the module is
 *   dropped or the thread ends.
 * @property {boolean} nearCap Whether the run asked the module's memory to grow past its maximum
 *   (the run filled, or came close to filling, its memory; the module was dropped).
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
const PAGE_BYTES = 64 * 1024;
/** The size the module's memory starts at: the least its build accepts (its import's minimum). */
const INITIAL_MEMORY_BYTES = 16 * MIB;
/** The most the build's allocator asks for (its `emscripten_resize_heap` stops at 2 GiB). */
const LARGEST_MEMORY_BYTES = 2048 * MIB;
/**
 * What the module itself occupies in its memory before any run: its 5 MiB stack, static data and
 * allocator state (measured: about 5.2 MiB of the 16 MiB it starts with; 10.8 MiB are free).
 */
const MODULE_BASE_BYTES = 6 * MIB;
/** Room for the sandbox's own work in a run: the harness, and reading the result or the failure. */
const SANDBOX_HEADROOM_BYTES = MIB;
/**
 * Copies of the code and the variables a run holds: the C string handed to QuickJS, the string
 * value and, for the variables, the parsed object. They are counted on top of the limit in whole
 * MiB (so typical inputs, under 350 KB, count 1 MiB and runs with the same limit share a module).
 */
const INPUT_COPIES = 3;
/**
 * The build grows its memory by at least 5% of its current size per step and does not take a step
 * that would pass the maximum, so up to 5% of the maximum can stay out of reach.
 */
const GROWTH_STEP = 1.05;
/** Promise jobs run between two deadline checks while awaiting an async result. */
const JOB_BATCH = 256;
const MAX_ERROR_CHARS = 500;
/** @type {RunLimits} */
const WARM_UP_LIMITS = { timeoutMs: 10_000, memoryMb: 8 };
const MODULE_FILENAME = 'function.js';
const HARNESS_FILENAME = 'sandbox-harness.js';
const PRELUDE_FILENAME = 'sandbox-virtual-time.js';

/**
 * Evaluated before the user's module in a simulation: `Date` reads the virtual instant (moving on
 * at the real pace from there), and `Math.random` is a seeded mulberry32, so a scenario repeats
 * exactly. Dates built from explicit values, `Date.parse` and `Date.UTC` are unchanged, and
 * `instanceof Date` still holds.
 * @param {number} shiftMs The virtual instant minus the host's now.
 * @param {number} seed
 * @returns {string}
 */
const virtualTimePrelude = (shiftMs, seed) => `(() => {
  'use strict';
  const RealDate = Date;
  const now = () => RealDate.now() + ${shiftMs};
  function VirtualDate(...args) {
    if (new.target === undefined) return new RealDate(now()).toString();
    return args.length === 0 ? new RealDate(now()) : new RealDate(...args);
  }
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = now;
  VirtualDate.parse = RealDate.parse;
  VirtualDate.UTC = RealDate.UTC;
  Object.defineProperty(RealDate.prototype, 'constructor', { value: VirtualDate, writable: true, configurable: true });
  globalThis.Date = VirtualDate;
  let state = ${seed >>> 0};
  Math.random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})();`;

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

/**
 * The parts of the WebAssembly JavaScript API used here (the project's TypeScript libraries do
 * not declare it).
 * @typedef {{ readonly buffer: ArrayBuffer, grow(deltaPages: number): number }} WasmMemory
 */
/**
 * @typedef {object} WasmApi
 * @property {new (descriptor: { initial: number, maximum: number }) => WasmMemory} Memory
 * @property {(bytes: Uint8Array) => Promise<object>} compile
 */
/** @type {WasmApi} */
const Wasm = Reflect.get(globalThis, 'WebAssembly');

/**
 * A module's linear memory, with a maximum: allocations that would take it past the maximum fail
 * inside QuickJS. The build grows its memory through `grow` (its `emscripten_resize_heap`), which
 * tries a 20%, then a 10%, then a 5% step (each at least what the allocation needs) and fails the
 * allocation only if the last is refused too. So `refusals` counts refused steps (the memory came
 * near its maximum) and `atCap` tells whether the latest request was refused (an allocation
 * failed and none has needed, and got, more memory since: the memory is full).
 */
class CappedMemory extends Wasm.Memory {
  /** @param {number} maximumBytes */
  constructor(maximumBytes) {
    super({ initial: INITIAL_MEMORY_BYTES / PAGE_BYTES, maximum: maximumBytes / PAGE_BYTES });
    this.refusals = 0;
    this.atCap = false;
  }

  /**
   * @override
   * @param {number} deltaPages
   * @returns {number}
   */
  grow(deltaPages) {
    try {
      const previousPages = super.grow(deltaPages);
      this.atCap = false;
      return previousPages;
    } catch (error) {
      this.refusals++;
      this.atCap = true;
      throw error;
    }
  }
}

/**
 * The memory maximum for a run: the module's own share, the sandbox's headroom, the run's limit
 * and copies of its inputs, plus the growth step the build may be unable to take near the
 * maximum; never below the 16 MiB every module starts with. So a run can use at least its limit,
 * and at most about 1.05 × limit + 3 MiB, or the 10.8 MiB free in a fresh module if that is more
 * (the baseline allowance: limits under about 8 MiB all get the 16 MiB minimum). Measured, in
 * 64 KB strings: 10.7 MiB under limits of 1 to 8, 36.7 under 32, 132.9 under 128.
 * @param {RunLimits} limits
 * @param {string} code
 * @param {string} varsJson
 * @returns {number} bytes, a whole number of WebAssembly pages
 */
function memoryCeiling(limits, code, varsJson) {
  const inputBytes = Buffer.byteLength(code, 'utf8') + Buffer.byteLength(varsJson, 'utf8');
  const inputs = Math.ceil((INPUT_COPIES * inputBytes) / MIB) * MIB;
  const wanted = (MODULE_BASE_BYTES + SANDBOX_HEADROOM_BYTES + Math.floor(limits.memoryMb * MIB) + inputs) * GROWTH_STEP;
  const bytes = Math.ceil(wanted / PAGE_BYTES) * PAGE_BYTES;
  return Math.min(LARGEST_MEMORY_BYTES, Math.max(INITIAL_MEMORY_BYTES, bytes));
}

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
 * @typedef {object} Engine A QuickJS module and the memory it was instantiated with.
 * @property {QuickJSWASMModule} module
 * @property {CappedMemory} memory
 */

/**
 * The variant's WebAssembly code, compiled once per thread: every module instantiated from it
 * shares the machine code, so a new module (another ceiling, or a replacement) costs a few ms.
 * @type {Promise<object> | undefined}
 */
let compiledCode;

/**
 * The thread's current module and the ceiling it was made for; replaced when a run needs another
 * ceiling, and dropped after a host-level fault or a run that came near its cap. Requests are
 * served one at a time, so nothing else uses it meanwhile.
 * @type {{ ceilingBytes: number, engine: Promise<Engine> } | undefined}
 */
let current;

/** @returns {Promise<object>} */
function compileCode() {
  compiledCode ??= (async () => {
    // The .wasm file of the variant quickjs-emscripten depends on, resolved as that package would.
    const resolveFromQuickJS = createRequire(import.meta.resolve('quickjs-emscripten'));
    const bytes = await readFile(resolveFromQuickJS.resolve('@jitl/quickjs-wasmfile-release-sync/wasm'));
    return Wasm.compile(bytes);
  })().catch((/** @type {unknown} */ error) => {
    compiledCode = undefined;
    throw error;
  });
  return compiledCode;
}

/**
 * @param {number} ceilingBytes
 * @returns {Promise<Engine>}
 */
function acquireEngine(ceilingBytes) {
  if (current?.ceilingBytes !== ceilingBytes) {
    const entry = { ceilingBytes, engine: instantiate(ceilingBytes) };
    entry.engine.catch(() => {
      if (current === entry) current = undefined;
    });
    current = entry;
  }
  return current.engine;
}

/**
 * @param {number} ceilingBytes
 * @returns {Promise<Engine>}
 */
async function instantiate(ceilingBytes) {
  const memory = new CappedMemory(ceilingBytes);
  const module = await newQuickJSWASMModule(newVariant(RELEASE_SYNC, { wasmModule: await compileCode(), wasmMemory: memory }));
  const engine = { module, memory };
  warmUp(engine);
  return engine;
}

/**
 * The engine's first run in a new module is slower than later ones; doing it here keeps that out
 * of the first user function's time budget, and checks the module works.
 * @param {Engine} engine
 */
function warmUp(engine) {
  const warm = { type: /** @type {const} */ ('run'), id: 0, code: 'export default (vars) => ({ warm: vars.warm })', varsJson: '{"warm":"yes"}', limits: WARM_UP_LIMITS };
  const outcome = runInModule(engine, warm, performance.now());
  if (!outcome.ok) throw new Error(`the QuickJS sandbox failed its warm-up run: ${outcome.error}`);
}

/** Drops the current module (its memory may be inconsistent); the next request instantiates a fresh one. */
function discardModule() {
  current = undefined;
}

/**
 * @param {MessagePort} port
 * @param {RunRequest} request
 */
async function serve(port, request) {
  /** @type {Engine} */
  let engine;
  try {
    engine = await acquireEngine(memoryCeiling(request.limits, request.code, request.varsJson));
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
  const refusalsBefore = engine.memory.refusals;
  const outcome = runInModule(engine, request, startedAt);
  /** @type {DoneReply} */
  const done = {
    type: 'done',
    id: request.id,
    outcome,
    durationMs: Math.round(performance.now() - startedAt),
    memoryBytes: engine.memory.buffer.byteLength,
    nearCap: engine.memory.refusals > refusalsBefore,
  };
  port.postMessage(done);
}

/**
 * @param {Engine} engine
 * @param {RunRequest} request
 * @param {number} startedAt
 * @returns {RunResult}
 */
function runInModule(engine, request, startedAt) {
  const { code, varsJson, limits, virtualTime } = request;
  const refusalsBefore = engine.memory.refusals;
  const scope = new Scope();
  /** @type {QuickJSRuntime | undefined} */
  let runtime;
  /** @type {SandboxRun | undefined} */
  let run;
  /** @type {RunResult} */
  let outcome;
  try {
    runtime = scope.manage(engine.module.newRuntime());
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    const context = scope.manage(runtime.newContext());
    run = new SandboxRun(runtime, context, scope, engine.memory, limits, startedAt + limits.timeoutMs);
    outcome = { ok: true, result: run.execute(code, varsJson, virtualTime) };
  } catch (error) {
    if (!(error instanceof SandboxFailure)) {
      // A host-level fault (the native stack overflowing inside WebAssembly, an abort): the
      // module's memory may be inconsistent, so it is dropped whole instead of disposed.
      discardModule();
      return run && (run.stopped !== undefined || run.hitMemoryCap()) ? run.stopResult() : hostFailure(error);
    }
    outcome = { ok: false, reason: error.reason, error: error.message };
  }
  try {
    if (engine.memory.refusals > refusalsBefore) {
      // QuickJS recovers from failed allocations, but the module may have run out of memory with
      // host calls in flight: a fresh module (a few ms) is cheaper than trusting it.
      discardModule();
    } else if (run?.stopped !== undefined && runtime?.hasPendingJob()) {
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
   * @param {CappedMemory} memory The module's memory, whose maximum caps the run.
   * @param {RunLimits} limits
   * @param {number} deadline
   */
  constructor(runtime, context, scope, memory, limits, deadline) {
    /**
     * Why the run was stopped (by the interrupt handler or a check between steps), once it was.
     * @type {'timeout' | 'memory' | undefined}
     */
    this.stopped = undefined;
    /** @private @readonly */
    this.runtime = runtime;
    /** @private @readonly */
    this.context = context;
    /** @private @readonly */
    this.scope = scope;
    /** @private @readonly */
    this.memory = memory;
    /** @private @readonly */
    this.refusalsAtStart = memory.refusals;
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
   * @param {{ nowMs: number, seed: number }} [virtualTime]
   * @returns {Record<string, string>}
   */
  execute(code, varsJson, virtualTime) {
    const { context } = this;
    if (virtualTime) this.manage(context.unwrapResult(context.evalCode(virtualTimePrelude(virtualTime.nowMs - Date.now(), virtualTime.seed), PRELUDE_FILENAME)));
    const harness = this.manage(context.unwrapResult(context.evalCode(HARNESS, HARNESS_FILENAME)));
    const callDefault = this.manage(context.getProp(harness, 0));
    const collect = this.manage(context.getProp(harness, 1));
    const vars = this.manage(context.newString(varsJson));

    // Bounds single allocations (and, at 8 bytes each in this build, counts of them); the
    // module's memory maximum bounds the total.
    this.runtime.setMemoryLimit(this.memoryLimitBytes);
    this.runtime.setInterruptHandler(() => this.mustStop());

    const namespace = this.settle(this.unwrap(context.evalCode(code, MODULE_FILENAME, { type: 'module' })), {
      reason: 'exception',
      message: 'the module awaits a Promise that never settles (the sandbox has no timers or I/O to wait for)',
    });
    const returned = this.settle(this.unwrap(context.callFunction(callDefault, context.undefined, namespace, vars)), {
      reason: 'invalid_result',
      message: 'the function returned a Promise that never settles (the sandbox has no timers or I/O to wait for)',
    });
    const collected = this.unwrap(context.callFunction(collect, context.undefined, returned));
    // Also a run that hit the cap and caught QuickJS's error fails: whether it is stopped
    // otherwise depends on where the interrupt handler happens to run.
    if (this.mustStop()) throw this.stopFailure();
    if (context.typeof(collected) !== 'string') throw unreadableResult();
    return readCollected(context.getString(collected));
  }

  /**
   * Whether the run has filled its module's memory: an allocation failed at the maximum, and no
   * later one got more memory.
   * @returns {boolean}
   */
  hitMemoryCap() {
    return this.memory.atCap && this.memory.refusals > this.refusalsAtStart;
  }

  /**
   * The interrupt handler, also checked between steps: whether the run must stop, because it hit
   * its memory cap or its deadline passed (recorded in {@link stopped}).
   * @returns {boolean}
   */
  mustStop() {
    if (this.stopped === undefined) {
      if (this.hitMemoryCap()) this.stopped = 'memory';
      else if (performance.now() >= this.deadline) this.stopped = 'timeout';
    }
    return this.stopped !== undefined;
  }

  /**
   * The outcome of a run that was stopped or hit its memory cap.
   * @returns {RunResult}
   */
  stopResult() {
    const failure = this.stopFailure();
    return { ok: false, reason: failure.reason, error: failure.message };
  }

  /**
   * @private
   * @returns {SandboxFailure}
   */
  stopFailure() {
    return this.stopped === 'timeout'
      ? new SandboxFailure('timeout', `the function did not finish within ${this.limits.timeoutMs} ms`)
      : this.memoryFailure();
  }

  /**
   * @private
   * @param {string} [detail] QuickJS's own error, when it reported the exhausted memory.
   * @returns {SandboxFailure}
   */
  memoryFailure(detail) {
    const message = `the function used more than ${this.limits.memoryMb} MB of memory`;
    return new SandboxFailure('memory', detail ? `${message} (${detail})` : message);
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
      if (this.mustStop()) throw this.stopFailure();
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
    // Stopped by the interrupt handler: what was thrown is QuickJS's "interrupted" error.
    if (this.stopped !== undefined) return this.stopFailure();
    this.runtime.setMemoryLimit(this.memoryLimitBytes + DESCRIBE_HEADROOM_BYTES);
    const description = describeThrown(this.context, thrown);
    if (this.mustStop()) {
      // The cap was hit (whatever was thrown afterwards: QuickJS's error, the user's own, or a
      // value too large to read), or the deadline passed while the value was read.
      return this.stopped === 'memory' && description.outOfMemory ? this.memoryFailure(description.text) : this.stopFailure();
    }
    if (description.outOfMemory) return this.memoryFailure(description.text);
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
