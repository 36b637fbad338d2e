import { cpuSnapshot, cpuUsage, waitForQuiet, type CpuUsage } from './cpu.js';
import { runOpenLoop, type OpenLoopResult } from './open-loop.js';
import type { ServerProcess } from './processes.js';
import { runWrk, type WrkBody, type WrkResult } from './wrk.js';

/** Other processes using more than this many cores during a measurement spoil it. */
export const BUSY_CORES = 0.15;
const QUIET_WAIT_MS = 20_000;
const ATTEMPTS = 2;

export interface Load {
  path: string;
  headers: Record<string, string>;
  /** The JSON body of request `i`; `prefix` (one character) is fresh for every phase. */
  body: (prefix: string, i: number) => string;
  /** The same bodies, built by wrk's Lua script. */
  wrk: WrkBody;
}

export interface Settings {
  durationS: number;
  warmupS: number;
  connections: number;
  threads: number;
  /** wrk's per-request timeout (default 5 s): an answer slower than this is an error. */
  timeoutS?: number | undefined;
}

export interface Measurement {
  name: string;
  warmup: WrkResult;
  /** Closed loop, as fast as the server answers. */
  max: WrkResult;
  /** Open loop at half of `max`, and the same rate against the ceiling (the machine's floor). */
  half?: { rate: number; result: OpenLoopResult; ceiling?: { result: OpenLoopResult; cpu: CpuUsage; serverPid: number } | undefined } | undefined;
  cpu: { max: CpuUsage; half?: CpuUsage | undefined; serverPid: number };
  /** Other processes competed for the CPU: the figures are pessimistic. */
  busy: boolean;
  /** The prefix each phase's request bodies were built with (tells their records apart afterwards). */
  prefixes: { warmup: string; max: string; half?: string | undefined };
}

/**
 * A fresh one-character prefix for each phase: call ids stay unique across phases (a repeated
 * call id would be answered from the recent-decisions cache) and keep one length (one body size).
 */
const PREFIXES = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
let phases = 0;
function nextPrefix(): string {
  const prefix = PREFIXES[phases % PREFIXES.length] ?? 'z';
  phases += 1;
  return prefix;
}

export interface Target {
  name: string;
  server: ServerProcess;
  /** PostgreSQL's processes count as part of the benchmark while it is measured. */
  withPostgres: boolean;
  /** Also measure at half the maximum rate (and the ceiling at that rate, when given). */
  fixedRate: boolean;
  ceiling?: ServerProcess | undefined;
  /** Other processes counted as part of the benchmark (stand-ins the server talks to). */
  companions?: number[] | undefined;
  /** Runs after the maximum rate, before the fixed rate (work the maximum left behind finishes). */
  settle?: (() => Promise<void>) | undefined;
}

const say = (text: string) => process.stdout.write(`${text}\n`);

/** Warm-up, maximum rate, then (optionally) half of it; CPU accounted for each phase. */
export async function measure(target: Target, load: Load, settings: Settings): Promise<Measurement> {
  const { name, server, withPostgres } = target;
  const quiet = await waitForQuiet(BUSY_CORES, QUIET_WAIT_MS, withPostgres);
  if (quiet.waitedMs > 1500) say(`${name}: waited ${(quiet.waitedMs / 1000).toFixed(0)} s for other processes to quieten (${quiet.quiet ? 'they did' : `still ${quiet.others.toFixed(2)} cores`})`);
  const wrkLoad = { url: server.url, path: load.path, headers: load.headers, ...load.wrk, connections: settings.connections, threads: settings.threads, timeoutS: settings.timeoutS };

  const prefixes: Measurement['prefixes'] = { warmup: nextPrefix(), max: nextPrefix() };
  say(`${name}: warming up (${settings.warmupS} s)...`);
  const warmup = await runWrk({ ...wrkLoad, callIdPrefix: prefixes.warmup, durationS: settings.warmupS });
  say(`${name}: maximum rate (wrk, ${settings.durationS} s)...`);
  const watched = [server.pid, ...(target.companions ?? [])];
  let before = cpuSnapshot(watched, withPostgres);
  const max = await runWrk({ ...wrkLoad, callIdPrefix: prefixes.max, durationS: settings.durationS });
  const maxCpu = cpuUsage(before, cpuSnapshot(watched, withPostgres));
  for (const [phase, result] of [['warm-up', warmup], ['maximum', max]] as const) {
    if (result.errors > 0) throw new Error(`${name} ${phase}: ${result.errors} errors (${result.non2xx} non-2xx answers)`);
  }
  if (!target.fixedRate) return { name, warmup, max, cpu: { max: maxCpu, serverPid: server.pid }, busy: maxCpu.others > BUSY_CORES, prefixes };

  await target.settle?.();
  const rate = Math.max(1, Math.round(max.rps / 2));
  const fixed = (base: string) => {
    const prefix = nextPrefix();
    prefixes.half ??= prefix;
    return runOpenLoop({ url: base, path: load.path, headers: load.headers, body: (i) => load.body(prefix, i), rate, durationS: settings.durationS, connections: settings.connections });
  };
  say(`${name}: ${Math.round(max.rps)} req/s; fixed rate ${rate} req/s (${settings.durationS} s)...`);
  before = cpuSnapshot(watched, withPostgres);
  const result = await fixed(server.url);
  const halfCpu = cpuUsage(before, cpuSnapshot(watched, withPostgres));
  if (result.failed > 0) throw new Error(`${name} fixed rate: ${result.failed} of ${result.sent} requests failed`);
  let ceiling: { result: OpenLoopResult; cpu: CpuUsage; serverPid: number } | undefined;
  if (target.ceiling) {
    say(`${name}: the ceiling at the same ${rate} req/s (${settings.durationS} s)...`);
    const floorBefore = cpuSnapshot([target.ceiling.pid], false);
    const floor = await fixed(target.ceiling.url);
    ceiling = { result: floor, cpu: cpuUsage(floorBefore, cpuSnapshot([target.ceiling.pid], false)), serverPid: target.ceiling.pid };
    if (floor.failed > 0) throw new Error(`ceiling at ${rate} req/s: ${floor.failed} of ${floor.sent} requests failed`);
  }
  return {
    name,
    warmup,
    max,
    half: { rate, result, ceiling },
    cpu: { max: maxCpu, half: halfCpu, serverPid: server.pid },
    busy: maxCpu.others > BUSY_CORES || halfCpu.others > BUSY_CORES,
    prefixes,
  };
}

/** Measures again (up to ATTEMPTS in all) while other processes competed for the CPU. */
export async function measureQuietly<T extends Measurement>(name: string, attempt: () => Promise<T>): Promise<T> {
  let result = await attempt();
  for (let i = 1; i < ATTEMPTS && result.busy; i += 1) {
    const others = Math.max(result.cpu.max.others, result.cpu.half?.others ?? 0);
    say(`${name}: other processes used ${others.toFixed(2)} cores meanwhile; measuring again`);
    result = await attempt();
  }
  return result;
}
