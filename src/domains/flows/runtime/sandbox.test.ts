import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runUserFunction, SandboxPool, type SandboxLimits, type SandboxPoolOptions } from './sandbox.js';

const limits: SandboxLimits = { timeoutMs: 1000, memoryMb: 32 };
/** Generous: only catches a run that hangs, never judges speed. */
const HANG_BOUND_MS = 5000;

const run = (code: string, vars: Record<string, string> = {}, override: Partial<SandboxLimits> = {}) =>
  runUserFunction(code, vars, { ...limits, ...override });

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  const value = await work();
  return { value, elapsedMs: performance.now() - started };
}

describe('runUserFunction', () => {
  it('passes the variables in and returns the new ones', async () => {
    const outcome = await run(
      `export default (vars) => ({ greeting: 'Hello ' + vars.name, upper: vars.name.toUpperCase() })`,
      { name: 'Ada' },
    );
    expect(outcome).toMatchObject({ ok: true, result: { greeting: 'Hello Ada', upper: 'ADA' } });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('converts numbers and booleans to strings', async () => {
    const outcome = await run(`export default () => ({ count: 42, ratio: 0.5, negative: -3, yes: true, no: false, empty: '' })`);
    expect(outcome).toMatchObject({
      ok: true,
      result: { count: '42', ratio: '0.5', negative: '-3', yes: 'true', no: 'false', empty: '' },
    });
  });

  it('returns an empty object as no variables', async () => {
    expect(await run('export default () => ({})')).toMatchObject({ ok: true, result: {} });
  });

  it('hands the function a frozen copy of the variables', async () => {
    const vars = { name: 'Ada' };
    const outcome = await run(
      `export default (vars) => ({ frozen: Object.isFrozen(vars), count: Object.keys(vars).length })`,
      vars,
    );
    expect(outcome).toMatchObject({ ok: true, result: { frozen: 'true', count: '1' } });

    const mutated = await run(`export default (vars) => { vars.name = 'Eve'; return {}; }`, vars);
    expect(mutated).toMatchObject({ ok: false, reason: 'exception' });
    expect(vars).toEqual({ name: 'Ada' });
  });

  it('keeps a "__proto__" variable as a plain key', async () => {
    const outcome = await run(`export default (vars) => JSON.parse('{"__proto__": "x", "b": "' + vars.b + '"}')`, { b: 'y' });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(Object.keys(outcome.result)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(outcome.result)).toBe(Object.prototype);
  });

  it('awaits an async function and supports top-level await', async () => {
    const outcome = await run(`
      const base = await Promise.resolve('v');
      export default async (vars) => {
        const more = await Promise.resolve(vars.x);
        return { value: base + more };
      };
    `, { x: '1' });
    expect(outcome).toMatchObject({ ok: true, result: { value: 'v1' } });
  });

  it('reports a syntax error as an exception', async () => {
    const outcome = await run('export default (vars) => ({');
    expect(outcome).toMatchObject({ ok: false, reason: 'exception' });
    if (!outcome.ok) expect(outcome.error).toMatch(/^SyntaxError: .+ \(line 1, column \d+\)$/);
  });

  it('reports a thrown error with its message', async () => {
    const outcome = await run(`export default () => { throw new Error('no such customer'); }`);
    expect(outcome).toMatchObject({ ok: false, reason: 'exception' });
    if (!outcome.ok) expect(outcome.error).toMatch(/^Error: no such customer/);

    expect(await run(`export default () => { throw 'plain text'; }`)).toMatchObject({ ok: false, reason: 'exception', error: 'plain text' });
    expect(await run(`export default () => { throw { code: 7 }; }`)).toMatchObject({
      ok: false,
      reason: 'exception',
      error: 'the function threw {"code":7}',
    });
    expect(await run(`export default () => { throw 10n; }`)).toMatchObject({ ok: false, reason: 'exception', error: 'the function threw 10' });
    expect(await run(`export default () => { throw 'x'.repeat(10000); }`)).toMatchObject({
      ok: false,
      reason: 'exception',
      error: expect.stringMatching(/^x{499}…$/),
    });
    expect(await run(`export default async () => { throw new TypeError('late'); }`)).toMatchObject({
      ok: false,
      reason: 'exception',
      error: expect.stringMatching(/^TypeError: late/),
    });
  });

  it('reports an error thrown while the module loads, and a default export that is not a function', async () => {
    expect(await run(`throw new RangeError('at load'); export default () => ({})`)).toMatchObject({
      ok: false,
      reason: 'exception',
      error: expect.stringMatching(/^RangeError: at load/),
    });
    expect(await run(`export default 42`)).toMatchObject({
      ok: false,
      reason: 'exception',
      error: expect.stringContaining('the default export must be a function'),
    });
  });

  it('stops an infinite loop with a timeout', async () => {
    const { value, elapsedMs } = await timed(() => run('export default () => { for (;;) {} }', {}, { timeoutMs: 200 }));
    expect(value).toMatchObject({ ok: false, reason: 'timeout', error: 'the function did not finish within 200 ms' });
    expect(elapsedMs).toBeLessThan(HANG_BOUND_MS);
  });

  it('stops a loop that catches everything, and an endless async function', async () => {
    const catching = await timed(() =>
      run('export default () => { for (;;) { try { for (;;) {} } catch (e) {} } }', {}, { timeoutMs: 200 }),
    );
    expect(catching.value).toMatchObject({ ok: false, reason: 'timeout' });
    expect(catching.elapsedMs).toBeLessThan(HANG_BOUND_MS);

    const asyncLoop = await timed(() =>
      run('export default async () => { await null; for (;;) {} }', {}, { timeoutMs: 200 }),
    );
    expect(asyncLoop.value).toMatchObject({ ok: false, reason: 'timeout' });
    expect(asyncLoop.elapsedMs).toBeLessThan(HANG_BOUND_MS);

    const jobs = await timed(() =>
      run('export default () => { const spin = () => Promise.resolve().then(spin); return spin(); }', {}, { timeoutMs: 200 }),
    );
    expect(jobs.value).toMatchObject({ ok: false, reason: 'timeout' });
    expect(jobs.elapsedMs).toBeLessThan(HANG_BOUND_MS);

    expect(await run(`export default () => ({ after: 'fine' })`)).toMatchObject({ ok: true, result: { after: 'fine' } });
  });

  it('rejects a Promise that can never settle', async () => {
    const outcome = await run('export default () => new Promise(() => {})');
    expect(outcome).toMatchObject({ ok: false, reason: 'invalid_result', error: expect.stringContaining('never settles') });
  });

  it('stops a huge allocation with a memory error', async () => {
    const { value, elapsedMs } = await timed(() => run('export default () => ({ n: new Array(1e9).fill(1).length })', {}, { memoryMb: 16 }));
    expect(value).toMatchObject({ ok: false, reason: 'memory', error: expect.stringContaining('more than 16 MB') });
    expect(elapsedMs).toBeLessThan(HANG_BOUND_MS);
  });

  it('stops string doubling and a growing array with a memory error', async () => {
    const doubling = await run(`export default () => { let s = 'x'; for (;;) s += s; }`, {}, { memoryMb: 16 });
    expect(doubling).toMatchObject({ ok: false, reason: 'memory' });

    const repeat = await run(`export default () => ({ s: 'x'.repeat(64 * 1024 * 1024) })`, {}, { memoryMb: 16 });
    expect(repeat).toMatchObject({ ok: false, reason: 'memory' });

    const objects = await run(`export default () => { const all = []; for (;;) all.push({ i: all.length }); }`, {}, { memoryMb: 16 });
    expect(objects).toMatchObject({ ok: false, reason: 'memory' });
  });

  // QuickJS's own limit only sees single allocations in this build: these keep ~300 MB alive in
  // pieces far below the limit. A long deadline, so that only the memory cap can stop them.
  const hoarding = { memoryMb: 8, timeoutMs: 20_000 };

  it('caps the total memory of a run: strings kept alive fail with a memory error', async () => {
    const pieces = await run(
      `export default () => { const all = []; for (let i = 0; i < 3000; i++) all.push('x'.repeat(100000) + i); return { n: all.length }; }`,
      {},
      hoarding,
    );
    expect(pieces).toMatchObject({ ok: false, reason: 'memory', error: expect.stringContaining('more than 8 MB') });

    const concatenated = await run(
      `export default () => { const all = []; for (let i = 0; i < 300000; i++) all.push('abcdefghij'.repeat(100) + i); return { n: all.length }; }`,
      {},
      hoarding,
    );
    expect(concatenated).toMatchObject({ ok: false, reason: 'memory' });

    const atLoad = await run(
      `globalThis.kept = []; for (let i = 0; i < 3000; i++) kept.push('x'.repeat(100000) + i); export default () => ({ n: kept.length })`,
      {},
      hoarding,
    );
    expect(atLoad).toMatchObject({ ok: false, reason: 'memory' });

    const awaiting = await run(
      `export default async () => { const all = []; for (let i = 0; i < 3000; i++) { await null; all.push('x'.repeat(100000) + i); } return { n: all.length }; }`,
      {},
      hoarding,
    );
    expect(awaiting).toMatchObject({ ok: false, reason: 'memory' });

    expect(await run(`export default () => ({ after: 'fine' })`)).toMatchObject({ ok: true, result: { after: 'fine' } });
  });

  it('caps typed arrays and ArrayBuffers the same way', async () => {
    const typed = await run(
      `export default () => { const all = []; for (let i = 0; i < 300; i++) all.push(new Uint8Array(1e6)); return { n: all.length }; }`,
      {},
      hoarding,
    );
    expect(typed).toMatchObject({ ok: false, reason: 'memory', error: expect.stringContaining('more than 8 MB') });

    const buffers = await run(
      `export default () => { const all = []; for (let i = 0; i < 3000; i++) all.push(new ArrayBuffer(100000)); return { n: all.length }; }`,
      {},
      hoarding,
    );
    expect(buffers).toMatchObject({ ok: false, reason: 'memory' });

    expect(await run(`export default () => ({ n: new Float64Array(1000).length })`)).toMatchObject({ ok: true, result: { n: '1000' } });
  });

  it('fails a function that fills its memory even if it catches the error, and stops one that keeps trying', async () => {
    const caught = await run(
      `export default () => { let all = []; try { for (;;) all.push('y'.repeat(65536)); } catch (e) { all = null; } return { survived: true }; }`,
      {},
      hoarding,
    );
    expect(caught).toMatchObject({ ok: false, reason: 'memory' });

    const retrying = await run(
      `export default () => { const all = []; for (;;) { try { all.push('x'.repeat(100000)); } catch (e) {} } }`,
      {},
      hoarding,
    );
    expect(retrying).toMatchObject({ ok: false, reason: 'memory', error: 'the function used more than 8 MB of memory' });

    expect(await run(`export default () => ({ after: 'fine' })`)).toMatchObject({ ok: true, result: { after: 'fine' } });
  });

  it('lets a function use its whole memory limit, and not much more', async () => {
    // Keeps `mb` MiB alive in strings of 64 KB.
    const keep = (mb: number) =>
      `export default () => { const all = []; for (let i = 0; i < ${mb} * 16; i++) all.push('z'.repeat(65500) + i); return { n: all.length }; }`;
    expect(await run(keep(8), {}, { memoryMb: 8, timeoutMs: 20_000 })).toMatchObject({ ok: true, result: { n: '128' } });
    expect(await run(keep(32), {}, { memoryMb: 32, timeoutMs: 20_000 })).toMatchObject({ ok: true, result: { n: '512' } });
    expect(await run(keep(48), {}, { memoryMb: 32, timeoutMs: 20_000 })).toMatchObject({ ok: false, reason: 'memory' });
  });

  it('runs small code under the smallest memory limit', async () => {
    expect(await run(`export default () => ({ a: 'b' })`, {}, { memoryMb: 1 })).toMatchObject({ ok: true, result: { a: 'b' } });
  });

  it('rejects results that are not an object of strings, numbers and booleans', async () => {
    const cases: [string, RegExp][] = [
      [`export default () => 'text'`, /must return an object of variables.*returned a string/],
      [`export default () => null`, /returned null/],
      [`export default () => undefined`, /returned undefined/],
      [`export default () => ['a']`, /returned an array/],
      [`export default () => ({ nested: { a: 1 } })`, /variable "nested" is an object: only strings, numbers and booleans/],
      [`export default () => ({ list: [1] })`, /variable "list" is an array/],
      [`export default () => ({ missing: undefined })`, /variable "missing" is undefined/],
      [`export default () => ({ nothing: null })`, /variable "nothing" is null/],
      [`export default () => ({ fn() {} })`, /variable "fn" is a function/],
      [`export default () => ({ big: 10n })`, /variable "big" is a bigint/],
      [`export default () => ({ bad: 0 / 0 })`, /variable "bad" is NaN: numbers must be finite/],
      [`export default () => ({ far: 1 / 0 })`, /variable "far" is Infinity: numbers must be finite/],
    ];
    for (const [code, message] of cases) {
      const outcome = await run(code);
      expect(outcome, code).toMatchObject({ ok: false, reason: 'invalid_result' });
      if (!outcome.ok) expect(outcome.error, code).toMatch(message);
    }
  });

  it('validates the result with built-ins the user code cannot replace', async () => {
    const outcome = await run(`
      JSON.stringify = () => '{"variables":{"forged":"yes"}}';
      Object.keys = () => [];
      Array.prototype[Symbol.iterator] = function* () {};
      export default () => ({ real: 1, nested: {} });
    `);
    expect(outcome).toMatchObject({ ok: false, reason: 'invalid_result', error: expect.stringContaining('variable "nested"') });
  });

  it('shows a simulation\'s virtual time to Date and seeds Math.random, leaving explicit dates alone', async () => {
    const nowMs = Date.parse('2020-01-06T10:00:00Z');
    const code = `export default () => ({
      today: new Date().toISOString().slice(0, 13), now: Math.floor(Date.now() / 3600000) * 3600000, text: Date().slice(0, 15),
      epoch: new Date(0).toISOString(), parsed: Date.parse('2030-01-01T00:00:00Z'), isDate: new Date() instanceof Date,
      draws: [Math.random(), Math.random()].join(' '),
    })`;
    const first = await runUserFunction(code, {}, limits, { virtualTime: { nowMs, seed: 42 } });
    expect(first).toMatchObject({ ok: true, result: { today: '2020-01-06T10', now: String(nowMs), text: 'Mon Jan 06 2020', epoch: '1970-01-01T00:00:00.000Z', parsed: String(Date.parse('2030-01-01T00:00:00Z')), isDate: 'true' } });
    const again = await runUserFunction(code, {}, limits, { virtualTime: { nowMs, seed: 42 } });
    const other = await runUserFunction(code, {}, limits, { virtualTime: { nowMs, seed: 43 } });
    const real = await runUserFunction(code, {}, limits);
    if (!first.ok || !again.ok || !other.ok || !real.ok) throw new Error('a run failed');
    expect(again.result.draws).toBe(first.result.draws);
    expect(other.result.draws).not.toBe(first.result.draws);
    expect(real.result.today).toBe(new Date().toISOString().slice(0, 13));
  });

  it('gives the code no host access', async () => {
    const outcome = await run(`export default () => ({
      process: typeof process,
      require: typeof require,
      fetch: typeof fetch,
      setTimeout: typeof setTimeout,
      console: typeof console,
      std: typeof std,
      os: typeof os,
      WebAssembly: typeof WebAssembly,
      globals: Object.getOwnPropertyNames(globalThis).filter((name) => /process|require|fetch|module|std|os/i.test(name)).join(','),
    })`);
    expect(outcome).toMatchObject({
      ok: true,
      result: {
        process: 'undefined',
        require: 'undefined',
        fetch: 'undefined',
        setTimeout: 'undefined',
        console: 'undefined',
        std: 'undefined',
        os: 'undefined',
        WebAssembly: 'undefined',
        globals: '',
      },
    });
  });

  it('cannot import modules, statically or dynamically', async () => {
    expect(await run(`import fs from 'fs'; export default () => ({ t: typeof fs })`)).toMatchObject({ ok: false, reason: 'exception' });
    expect(await run(`export default async () => ({ t: typeof (await import('node:fs')) })`)).toMatchObject({ ok: false, reason: 'exception' });
  });

  it('shares nothing between runs', async () => {
    expect(await run(`globalThis.leak = 'secret'; export default () => ({})`)).toMatchObject({ ok: true });
    expect(await run(`export default () => ({ leak: typeof globalThis.leak })`)).toMatchObject({ ok: true, result: { leak: 'undefined' } });
  });

  it('reports runaway recursion as an exception and keeps working afterwards', async () => {
    const recursion = await run('const f = () => f(); export default () => f()');
    expect(recursion).toMatchObject({ ok: false, reason: 'exception', error: expect.stringMatching(/stack overflow/) });

    // Deep enough to overflow the host's native stack inside WebAssembly before QuickJS's own
    // check fires: the run fails cleanly and the next run gets a fresh module.
    const nested = await run(`export default () => ({ v: eval('('.repeat(100000) + '1' + ')'.repeat(100000)) })`);
    expect(nested).toMatchObject({ ok: false, reason: 'exception' });
    if (!nested.ok) expect(nested.error).toMatch(/stack|nest/i);

    expect(await run(`export default () => ({ after: 'fine' })`)).toMatchObject({ ok: true, result: { after: 'fine' } });
  });

  it('handles concurrent calls', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => run(`export default (vars) => ({ twice: Number(vars.n) * 2 })`, { n: String(i) })),
    );
    expect(outcomes.map((outcome) => (outcome.ok ? outcome.result.twice : outcome.error))).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i * 2)),
    );
  });

  it('runs 200 times in a row without leaking', async () => {
    // The module-level string lives as long as the run's runtime does.
    const code = `const chunk = 'y'.repeat(1024 * 1024) + Math.random();
    export default (vars) => ({ i: vars.i, length: chunk.length });`;
    const rss = () => process.memoryUsage().rss;
    for (let i = 0; i < 20; i++) await run(code, { i: String(i) });
    const before = rss();
    for (let i = 0; i < 200; i++) {
      const outcome = await run(code, { i: String(i) });
      expect(outcome).toMatchObject({ ok: true, result: { i: String(i) } });
    }
    // Each run allocates over 1 MiB inside QuickJS: without disposal 200 runs would keep 200 MiB.
    expect(rss() - before).toBeLessThan(64 * 1024 * 1024);
  });
});

/** Runs `work` with a pool of its own, closed afterwards whatever happened. */
async function withPool<T>(options: SandboxPoolOptions, work: (pool: SandboxPool) => Promise<T>): Promise<T> {
  const pool = new SandboxPool(options);
  try {
    return await work(pool);
  } finally {
    await pool.close();
  }
}

/** Writes stand-in worker entry points (misbehaving threads) to a temporary directory. */
async function withWorkerFiles<T>(files: Record<string, string>, work: (urls: Record<string, URL>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sandbox-test-'));
  try {
    const urls: Record<string, URL> = {};
    for (const [name, source] of Object.entries(files)) {
      const file = join(dir, `${name}.mjs`);
      await writeFile(file, source);
      urls[name] = pathToFileURL(file);
    }
    return await work(urls);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * One Object.keys call and two sorts of a million strings: built-in calls the interrupt handler
 * cannot stop, which keep the thread busy far longer than the deadlines and grace used with it.
 */
const LONG_BUILT_IN = `export default () => ({ n: Object.keys('x'.repeat(1e6)).sort().reverse().sort().length })`;

describe('the sandbox pool', () => {
  it('leaves the event loop free while a run spins', async () => {
    await withPool({ size: 1 }, async (pool) => {
      // A first run instantiates QuickJS in the thread, so the next one starts spinning at once.
      expect(await pool.run(`export default () => ({ warm: 'yes' })`, {}, limits)).toMatchObject({ ok: true });

      const events: string[] = [];
      const spinning = pool.run('export default () => { for (;;) {} }', {}, { ...limits, timeoutMs: 300 }).then((outcome) => {
        events.push('run settled');
        return outcome;
      });
      await Promise.all([
        new Promise<void>((resolve) => setImmediate(() => resolve(void events.push('immediate')))),
        new Promise<void>((resolve) => setTimeout(() => resolve(void events.push('timer')), 0)),
      ]);
      expect(pool.stats.busy).toBe(1);
      expect(await spinning).toMatchObject({ ok: false, reason: 'timeout' });
      expect(events).toHaveLength(3);
      expect(events[2]).toBe('run settled');
    });
  });

  it('runs more concurrent calls than it has threads, queueing the rest', async () => {
    await withPool({ size: 2 }, async (pool) => {
      const calls = Array.from({ length: 9 }, (_, i) =>
        i % 3 === 0
          ? pool.run('export default () => { for (;;) {} }', {}, { ...limits, timeoutMs: 100 })
          : pool.run(`export default async (vars) => ({ square: Number(vars.n) ** 2 })`, { n: String(i) }, limits),
      );
      expect(pool.stats).toMatchObject({ workers: 2, busy: 2, queued: 7 });
      const outcomes = await Promise.all(calls);
      outcomes.forEach((outcome, i) => {
        if (i % 3 === 0) expect(outcome, `run ${i}`).toMatchObject({ ok: false, reason: 'timeout' });
        else expect(outcome, `run ${i}`).toMatchObject({ ok: true, result: { square: String(i * i) } });
      });
      expect(pool.stats).toMatchObject({ workers: 2, busy: 0, queued: 0, terminated: 0, crashed: 0 });
    });
  });

  it('serves the accounts waiting for a thread in turn, so one account\'s burst does not hold another\'s run behind all of it', async () => {
    await withPool({ size: 1 }, async (pool) => {
      const finished: string[] = [];
      const submit = (owner: string, name: string) =>
        pool.run(`export default () => ({ name: '${name}' })`, {}, limits, { accountId: owner }).then((outcome) => {
          expect(outcome).toMatchObject({ ok: true });
          finished.push(name);
        });
      const runs = [1, 2, 3, 4].map((i) => submit('noisy', `noisy ${i}`));
      runs.push(submit('quiet', 'quiet 1'));
      await Promise.all(runs);
      // The first noisy run took the thread at once; the quiet one comes next, not after the burst.
      expect(finished).toEqual(['noisy 1', 'noisy 2', 'quiet 1', 'noisy 3', 'noisy 4']);
    });
  });

  it('terminates a thread still busy past the deadline and grace, then runs on a new one', async () => {
    await withPool({ size: 1, graceMs: 20 }, async (pool) => {
      const stuck = await pool.run(LONG_BUILT_IN, {}, { timeoutMs: 20, memoryMb: 128 });
      expect(stuck).toMatchObject({ ok: false, reason: 'timeout', error: 'the function did not finish within 20 ms' });
      expect(pool.stats).toMatchObject({ workers: 0, terminated: 1 });

      expect(await pool.run(`export default (vars) => ({ after: vars.x })`, { x: 'fine' }, limits)).toMatchObject({
        ok: true,
        result: { after: 'fine' },
      });
      expect(pool.stats).toMatchObject({ workers: 1, terminated: 1, crashed: 0 });
    });
  });

  it('replaces a thread whose run filled its memory, or whose memory grew large, and keeps the others', async () => {
    await withPool({ size: 1 }, async (pool) => {
      const hoard = `export default () => { const all = []; for (let i = 0; i < 3000; i++) all.push('x'.repeat(100000) + i); return { n: all.length }; }`;
      expect(await pool.run(hoard, {}, { memoryMb: 8, timeoutMs: 20_000 })).toMatchObject({ ok: false, reason: 'memory' });
      expect(pool.stats).toMatchObject({ workers: 0, recycled: 1, terminated: 0, crashed: 0 });
      expect(await pool.run(`export default () => ({ after: 'fine' })`, {}, limits)).toMatchObject({ ok: true, result: { after: 'fine' } });
      expect(pool.stats).toMatchObject({ workers: 1, recycled: 1 });

      // Within its limit, but the module's memory grew past twice the 16 MiB it starts with.
      const large = `export default () => { const all = []; for (let i = 0; i < 640; i++) all.push('z'.repeat(65500) + i); return { n: all.length }; }`;
      expect(await pool.run(large, {}, { memoryMb: 64, timeoutMs: 20_000 })).toMatchObject({ ok: true, result: { n: '640' } });
      expect(pool.stats).toMatchObject({ workers: 0, recycled: 2 });

      for (let i = 0; i < 3; i++) {
        expect(await pool.run(`export default () => ({ s: 'a'.repeat(1000000).length })`, {}, limits)).toMatchObject({ ok: true });
      }
      expect(pool.stats).toMatchObject({ workers: 1, recycled: 2, terminated: 0, crashed: 0 });
    });
  });

  it('keeps the process memory bounded while functions hoard memory again and again', async () => {
    await withPool({ size: 1 }, async (pool) => {
      const hoard = `export default () => { const all = []; for (let i = 0; i < 3000; i++) all.push('x'.repeat(100000) + i); return { n: all.length }; }`;
      expect(await pool.run(`export default () => ({})`, {}, limits)).toMatchObject({ ok: true });
      const before = process.memoryUsage().rss;
      let most = before;
      for (let i = 0; i < 8; i++) {
        // Each may hold about 70 MB (its limit) until its thread is replaced; before the cap, each
        // grew to 300 MB, and memory given to a WebAssembly module is never returned.
        expect(await pool.run(hoard, {}, { memoryMb: 64, timeoutMs: 20_000 })).toMatchObject({ ok: false, reason: 'memory' });
        most = Math.max(most, process.memoryUsage().rss);
      }
      expect(pool.stats).toMatchObject({ recycled: 8 });
      expect(most - before).toBeLessThan(256 * 1024 * 1024);
    });
  });

  it('reports a thread that exceeds its own heap limit as a memory failure', async () => {
    await withWorkerFiles(
      {
        // Reports the start of the run, then fills the thread's V8 heap.
        greedy: `import { parentPort } from 'node:worker_threads';
          parentPort.on('message', (request) => {
            parentPort.postMessage({ type: 'started', id: request.id });
            const all = [];
            for (;;) all.push({ n: all.length, text: String(Math.random()) });
          });`,
      },
      async ({ greedy }) => {
        await withPool({ size: 1, workerUrl: greedy, workerHeapMb: 16 }, async (pool) => {
          expect(await pool.run('export default () => ({})', {}, limits)).toMatchObject({
            ok: false,
            reason: 'memory',
            error: expect.stringContaining('the sandbox thread ran out of memory'),
          });
          expect(pool.stats).toMatchObject({ workers: 0, crashed: 1 });
        });
      },
    );
  });

  it('reports a thread that dies during a run as an exception, and one that cannot start as a rejection', async () => {
    await withWorkerFiles(
      {
        // Reports the start of the run, then ends the thread instead of answering.
        dies: `import { parentPort } from 'node:worker_threads';
          parentPort.on('message', (request) => {
            parentPort.postMessage({ type: 'started', id: request.id });
            process.exit(7);
          });`,
        broken: `throw new Error('cannot load');`,
        garbled: `import { parentPort } from 'node:worker_threads';
          parentPort.on('message', (request) => parentPort.postMessage({ type: 'done', id: request.id, outcome: { ok: 'maybe' }, durationMs: 1 }));`,
      },
      async ({ dies, broken, garbled }) => {
        await withPool({ size: 1, workerUrl: dies }, async (pool) => {
          expect(await pool.run('export default () => ({})', {}, limits)).toMatchObject({
            ok: false,
            reason: 'exception',
            error: 'the sandbox failed: the sandbox thread exited with code 7',
          });
          // Each run gets a new thread.
          expect(await pool.run('export default () => ({})', {}, limits)).toMatchObject({ ok: false, reason: 'exception' });
          expect(pool.stats).toMatchObject({ workers: 0, crashed: 2 });
        });
        await withPool({ size: 1, workerUrl: broken }, async (pool) => {
          await expect(pool.run('export default () => ({})', {}, limits)).rejects.toThrow(/failed to start: cannot load/);
        });
        await withPool({ size: 1, workerUrl: garbled }, async (pool) => {
          await expect(pool.run('export default () => ({})', {}, limits)).rejects.toThrow(/unreadable or unexpected message/);
        });
      },
    );
  });

  it('finishes the submitted runs on close, then ends its threads and refuses new runs', async () => {
    const pool = new SandboxPool({ size: 1 });
    const pending = [
      pool.run(`export default () => ({ n: 1 })`, {}, limits),
      pool.run(`export default () => ({ n: 2 })`, {}, limits),
    ];
    const closed = pool.close();
    expect(await Promise.all(pending)).toMatchObject([
      { ok: true, result: { n: '1' } },
      { ok: true, result: { n: '2' } },
    ]);
    await closed;
    expect(pool.stats).toMatchObject({ workers: 0, busy: 0, queued: 0 });
    await expect(pool.run(`export default () => ({})`, {}, limits)).rejects.toThrow('the sandbox pool is closed');
  });

  it('lets the process exit: idle threads of an open pool do not hold it, a closed pool has none', async () => {
    // A separate process, started through tsx like the server, that ends on its own or not at all.
    const sandbox = new URL('./sandbox.ts', import.meta.url).href;
    const script = `import { runUserFunction, SandboxPool } from ${JSON.stringify(sandbox)};
      const shared = await runUserFunction('export default (vars) => ({ from: vars.who })', { who: 'shared' }, { timeoutMs: 1000, memoryMb: 8 });
      const pool = new SandboxPool({ size: 1 });
      const own = await pool.run('export default () => ({ from: "own" })', {}, { timeoutMs: 1000, memoryMb: 8 });
      await pool.close();
      process.stdout.write(JSON.stringify([shared, own]));`;
    await withWorkerFiles({ script }, async ({ script: url }) => {
      const output = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, ['--import', 'tsx', url!.pathname], { cwd: process.cwd(), timeout: 20_000 }, (_error, stdout, stderr) =>
          resolve({ code: child.exitCode, stdout, stderr }),
        );
      });
      expect(output.stderr).toBe('');
      expect(output.code).toBe(0);
      expect(JSON.parse(output.stdout)).toMatchObject([
        { ok: true, result: { from: 'shared' } },
        { ok: true, result: { from: 'own' } },
      ]);
    });
  });
});
