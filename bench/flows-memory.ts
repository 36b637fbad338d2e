/**
 * Memory per waiting interaction: 10,000 interactions of the example flow whose customer's phone
 * rings until the (35 s) ring timeout, all ringing at once. Runs in a child process of its own
 * (`node --expose-gc`), so the heap holds nothing but one app and what it measures, and the
 * collector can be run before each reading.
 *
 * Child: `node --expose-gc --import tsx bench/flows-memory.ts <durable|ceiling> <database URL>
 * <data directory>`; prints one line `RESULT <json>`. `measureMemory` runs it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { EspeakTts } from '../src/adapters/tts/espeak/espeak-tts.js';
import { COMPONENT_HANDLERS, interpret, loadVersion, startState, type FlowServices } from '../src/domains/flows/index.js';
import { newId } from '../src/kernel/ids.js';
import { MemoryCallRecords } from '../src/simulation/memory-calls.js';
import { ScriptedCallControl } from '../src/adapters/telephony/simulated/index.js';
import { ROOT, track } from './lib/processes.js';
import { BUSY_CUSTOMER, RINGING_CUSTOMER, START_LIMIT, agent } from './flows-fixture.js';
import { startFlowsApp, type FlowsApp } from './flows-throughput.js';

export const WAITING = 10_000;
/** The example's ring timeout raised to the most validation allows: every interaction must be started and ringing within it. */
const RING_TIMEOUT_S = 35;
/** Readings are taken at the latest this long after the first interaction started, before any ring can time out. */
const MEASURE_BY_S = RING_TIMEOUT_S - 3;
const WARMUP = 500;
/** Start requests in flight at once while filling. */
const CONCURRENT_STARTS = 50;

export type MemorySide = 'durable' | 'ceiling';

export interface MemoryReading {
  heapUsed: number;
  rss: number;
  external: number;
}

export interface MemoryResult {
  side: MemorySide;
  database: string;
  /** Interactions ringing when the reading was taken (WAITING when all were). */
  ringing: number;
  /** Seconds from the first start to all of them ringing (or to the reading, when not all were). */
  fillS: number;
  before: MemoryReading;
  after: MemoryReading;
  /** (after - before) / ringing, in bytes. */
  heapPerInteraction: number;
  rssPerInteraction: number;
  /** The node's running jobs at the reading (durable: one flow.run per interaction). */
  runningJobs: number;
  note: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Gc = () => void;

async function settledReading(gc: Gc): Promise<MemoryReading> {
  // Twice, with a pause for finalizers and the call log's pending writes in between.
  gc();
  await sleep(200);
  gc();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss, external: usage.external };
}

/** Counts the interactions whose customer leg is ringing: from the call log for the durable engine. */
async function ringingDurable(run: FlowsApp): Promise<number> {
  const { app, fixture } = run;
  await app.services.calls.drain();
  const row = await app.services.storage.db
    .selectFrom('calls')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', fixture.accountId)
    .where('kind', '=', 'flow_call')
    .where('to_number', '=', RINGING_CUSTOMER)
    .where('ended_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Starts `count` interactions through the API, at most START_LIMIT a second and CONCURRENT_STARTS
 * at once. The server's limiter counts a request when it handles it, which can bunch requests sent
 * evenly: a start answered 429 is sent again after its Retry-After, as a client would.
 */
async function startThroughApi(run: FlowsApp, flowId: string, count: number, args: (i: number) => Record<string, string>, deadline: number): Promise<number> {
  const { app, fixture } = run;
  const recent = new Float64Array(START_LIMIT).fill(-Infinity);
  let next = 0;
  let started = 0;
  let inFlight = 0;
  let failure: Error | undefined;
  const again: number[] = [];
  let notBefore = 0;
  while ((started < count || again.length > 0) && performance.now() < deadline && !failure) {
    const now = performance.now();
    if (inFlight >= CONCURRENT_STARTS || now < notBefore || (recent[next] ?? -Infinity) > now - 1020) {
      await sleep(1);
      continue;
    }
    recent[next] = now;
    next = (next + 1) % recent.length;
    inFlight += 1;
    const i = again.shift() ?? started++;
    void app.server
      .inject({
        method: 'POST',
        url: `/flows/${flowId}/interactions`,
        headers: { authorization: `Bearer ${fixture.token}`, 'content-type': 'application/json' },
        payload: JSON.stringify(args(i)),
      })
      .then((response) => {
        inFlight -= 1;
        if (response.statusCode === 429) {
          again.push(i);
          notBefore = Math.max(notBefore, performance.now() + Number(response.headers['retry-after'] ?? 1) * 1000);
        } else if (response.statusCode !== 202) failure ??= new Error(`POST /flows/{id}/interactions answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      });
    while (inFlight > 0 && started >= count && again.length === 0) await sleep(5);
  }
  while (inFlight > 0) await sleep(5);
  if (failure) throw failure;
  return started;
}

async function durable(run: FlowsApp, gc: Gc): Promise<Omit<MemoryResult, 'side' | 'database'>> {
  const { app, fixture } = run;
  // Warm-up: the same start, dial and step code, on calls that end at once (the customer is busy).
  await startThroughApi(run, fixture.longRingFlowId, WARMUP, () => ({ contact_1: BUSY_CUSTOMER, contact_2: agent(0) }), Infinity);
  while (app.worker.stats.running > 0) await sleep(20);
  await app.services.calls.drain();
  const before = await settledReading(gc);

  const first = performance.now();
  const deadline = first + MEASURE_BY_S * 1000;
  const started = await startThroughApi(run, fixture.longRingFlowId, WAITING, () => ({ contact_1: RINGING_CUSTOMER, contact_2: agent(0) }), deadline);
  let ringing = await ringingDurable(run);
  while (ringing < started && performance.now() < deadline) {
    await sleep(100);
    ringing = await ringingDurable(run);
  }
  const fillS = (performance.now() - first) / 1000;
  const after = await settledReading(gc);
  // Read again: a ring that timed out during the reading would make the count too high.
  const still = await ringingDurable(run);
  const runningJobs = app.worker.stats.running;
  const note = started < WAITING
    ? `only ${started} of ${WAITING} could be started within ${MEASURE_BY_S} s (before the first ring times out)`
    : ringing < WAITING ? `${ringing} of ${WAITING} were ringing ${MEASURE_BY_S} s after the first start` : '';
  return reading(Math.min(ringing, still), fillS, before, after, runningJobs, note);
}

function reading(ringing: number, fillS: number, before: MemoryReading, after: MemoryReading, runningJobs: number, note: string): Omit<MemoryResult, 'side' | 'database'> {
  const per = (key: keyof MemoryReading) => (ringing > 0 ? (after[key] - before[key]) / ringing : NaN);
  return { ringing, fillS, before, after, heapPerInteraction: per('heapUsed'), rssPerInteraction: per('rss'), runningJobs, note };
}

/** The interpreter alone (in-memory store and call records), the customer's phone ringing on the system clock. */
async function ceiling(run: FlowsApp, gc: Gc): Promise<Omit<MemoryResult, 'side' | 'database'>> {
  const { app, fixture } = run;
  const { definition, versionId } = await app.services.flows.runnable(fixture.accountId, fixture.longRingFlowId, 1);
  const version = loadVersion(definition);
  let ringingNow = 0;
  const scripts = new ScriptedCallControl(
    (_accountId, number) => Promise.resolve(number === RINGING_CUSTOMER ? { behavior: 'no_answer', answer_after_s: 1 } : number === BUSY_CUSTOMER ? { behavior: 'busy', answer_after_s: 0 } : { behavior: 'answer', answer_after_s: 0 }),
    app.services.clock,
  );
  const telephony: FlowServices['telephony'] = {
    ...bind(scripts),
    dial: async (accountId, to, timeoutS, onEvent) => {
      ringingNow += 1;
      try {
        return await scripts.dial(accountId, to, timeoutS, onEvent);
      } finally {
        ringingNow -= 1;
      }
    },
  };
  const base: Omit<FlowServices, 'calls'> = {
    clock: app.services.clock, telephony, tts: run.tts, random: Math.random,
    http: { request: () => Promise.reject(new Error('no HTTP in the example flow')) },
    secrets: { read: () => Promise.reject(new Error('no secret in the example flow')) },
    callbacks: { request: () => Promise.reject(new Error('no callback in the example flow')) },
    cases: { create: () => Promise.reject(new Error('no case in the example flow')), update: () => Promise.reject(new Error('no case in the example flow')) },
  };
  const start = (number: string) => {
    const ids = { interactionId: newId(), flowId: fixture.longRingFlowId, flowVersionId: versionId };
    const progress = startState(definition, ids, { contact_1: number, contact_2: agent(0) });
    const services: FlowServices = { ...base, calls: new MemoryCallRecords() };
    return interpret({ accountId: fixture.accountId, ...ids, version, progress, services, handlers: COMPONENT_HANDLERS, store: { advance: () => Promise.resolve(true), fail: () => Promise.resolve(), reserveLeg: () => Promise.resolve() } });
  };
  for (let i = 0; i < WARMUP; i++) await start(BUSY_CUSTOMER);
  const before = await settledReading(gc);
  const first = performance.now();
  for (let i = 0; i < WAITING; i++) void start(RINGING_CUSTOMER);
  while (ringingNow < WAITING) await sleep(5);
  const fillS = (performance.now() - first) / 1000;
  const after = await settledReading(gc);
  return reading(Math.min(ringingNow, WAITING), fillS, before, after, 0, '');
}

function bind(control: ScriptedCallControl): FlowServices['telephony'] {
  return {
    dial: control.dial.bind(control),
    play: control.play.bind(control),
    promptDigit: control.promptDigit.bind(control),
    collectDigits: control.collectDigits.bind(control),
    listen: control.listen.bind(control),
    bridge: control.bridge.bind(control),
  };
}

/**
 * Runs the measurement in a child process with `--expose-gc` (the app's data directory made and
 * removed here); resolves with what it printed.
 */
export async function measureMemory(side: MemorySide, databaseUrl: string, label: string): Promise<MemoryResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-flows-memory-'));
  try {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), side, databaseUrl, dataDir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    if (code !== 0 || !line) throw new Error(`the memory measurement (${side}, ${label}) exited with ${String(code)}:\n${output.slice(-3000)}`);
    return { ...(JSON.parse(line.slice('RESULT '.length)) as Omit<MemoryResult, 'database'>), database: label };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The child: measures, prints the result and exits at once. Closing the app would wait for the
 * 10,000 interactions still ringing; the process's end closes its connections, and the parent
 * removes the data directory (and drops the PostgreSQL schema).
 */
async function child(side: MemorySide, databaseUrl: string, dataDir: string): Promise<void> {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const run = await startFlowsApp(databaseUrl, 'system', new EspeakTts(), dataDir);
  const result = side === 'durable' ? await durable(run, gc) : await ceiling(run, gc);
  process.stdout.write(`RESULT ${JSON.stringify({ side, ...result })}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [side, databaseUrl, dataDir] = process.argv.slice(2);
  if ((side !== 'durable' && side !== 'ceiling') || !databaseUrl || !dataDir) {
    process.stderr.write('usage: node --expose-gc --import tsx bench/flows-memory.ts <durable|ceiling> <database URL> <data directory>\n');
    process.exit(2);
  }
  child(side, databaseUrl, dataDir).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
