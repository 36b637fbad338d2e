import { describe, expect, it } from 'vitest';
import { runUserFunction, type SandboxLimits } from './sandbox.js';

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
