import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { inspect } from 'node:util';
import { sql } from 'kysely';
import type { Switchboard } from '../src/app.js';
import { ScriptedCallControl, SimulatedNetwork, type PhoneScript } from '../src/adapters/telephony/simulated/index.js';
import { COMPONENT_HANDLERS, interpret, loadVersion, startState, type FlowServices, type Step } from '../src/domains/flows/index.js';
import { systemClock, type Clock } from '../src/kernel/clock.js';
import { newId } from '../src/kernel/ids.js';
import type { CallControl } from '../src/ports/telephony.js';
import type { TextToSpeech } from '../src/ports/tts.js';
import { MemoryCallRecords } from '../src/simulation/memory-calls.js';
import type { CallRecord } from '../src/domains/continuity/index.js';
import { cpuSnapshot, cpuUsage, type CpuUsage } from './lib/cpu.js';
import { BUSY_CORES } from './lib/measure.js';
import { AGENT_SCRIPT, AGENTS, CUSTOMER_SCRIPT, CUSTOMERS, EXPECTED_PATH, START_LIMIT, agent, customer, exampleMessage, flowsApp, setUpFlows, startArguments, type FlowFixture } from './flows-fixture.js';

/**
 * Throughput of the example flow, closed loop: a fixed number of interactions is kept in flight
 * and a new one starts as soon as one completes, for the durable engine (started through
 * `POST /flows/{id}/interactions`, run by the node's worker, every step committed) and for the
 * ceiling (the same interpreter, handlers and telephony with an in-memory store and in-memory call
 * records, as the flow simulator runs it). Both see the same telephony on the same clock.
 */

/**
 * `instant`: the simulated phones' waits (ringing, the message being spoken, talk time) take no
 * time: each timer the telephony sets fires on the next turn of the event loop, on both sides.
 * `system`: they take their real length on the system clock (the message holds the call ~5 s).
 */
export type TelephonyTime = 'instant' | 'system';

export interface Settings {
  time: TelephonyTime;
  /** Interactions kept in flight. */
  inFlight: number;
  /** Starts a second at most (both sides); the durable side never more than the account's limit. */
  startsPerSecond?: number | undefined;
  warmupS: number;
  durationS: number;
}

export interface ThroughputResult {
  name: string;
  settings: Settings;
  /** Interactions completed per second during the measured window. */
  rate: number;
  completedInWindow: number;
  windowS: number;
  /** Every interaction the run started (warm-up, window and the drain after it). */
  started: number;
  /** Start requests answered 429 (the pacer keeps under the account's limit; these were retried). */
  rejected: number;
  /** Start requests the server failed (5xx), and the first few answers. */
  startErrors: { count: number; first: string[] };
  /** Interactions that completed with exactly the expected path (and call-log legs), of `started`. */
  verified: { ok: number; of: number; problems: string[] };
  cpu: CpuUsage;
  busy: boolean;
  /** Whether the start limit bounded the run: the pacer held a start back for it at least once. */
  heldByLimit: boolean;
}

/** A clock whose timers fire on the next turn of the event loop, whatever their length; its time is the system's. */
export const instantClock: Clock = {
  now: () => new Date(),
  setTimer(_ms, fn) {
    const handle = setImmediate(fn);
    return () => clearImmediate(handle);
  },
};

const clockFor = (time: TelephonyTime): Clock => (time === 'instant' ? instantClock : systemClock);

/**
 * For the durable side: the platform's telephony as createApp builds it (the simulated network,
 * phone scripts read from the database) but carried out on `time`'s clock. On `system` it is the
 * network itself.
 */
export function durableTelephony(time: TelephonyTime): ((adapter: CallControl) => CallControl) | undefined {
  if (time === 'system') return undefined;
  return (adapter) => {
    if (!(adapter instanceof SimulatedNetwork)) throw new Error('the flows benchmark needs the simulated network');
    return new ScriptedCallControl((accountId, number) => adapter.phoneScript(accountId, number), instantClock);
  };
}

/** For the ceiling: the same scripts, held in memory (as a simulation scenario holds them). */
function ceilingTelephony(time: TelephonyTime): CallControl {
  const scripts = new Map<string, PhoneScript>();
  for (let i = 0; i < CUSTOMERS; i++) scripts.set(customer(i), CUSTOMER_SCRIPT);
  for (let i = 0; i < AGENTS; i++) scripts.set(agent(i), AGENT_SCRIPT);
  return new ScriptedCallControl((_accountId, number) => {
    const script = scripts.get(number);
    return script ? Promise.resolve(script) : Promise.reject(new Error(`no script for ${number}`));
  }, clockFor(time));
}

const say = (text: string) => process.stdout.write(`${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What became of one start: admitted, refused by the account's rate limit, or failed by the server (5xx). */
type Launched = 'started' | 'limited' | { error: string };

/** How one side starts interactions and learns they are over. */
interface Side {
  /** Starts interaction `i`; resolves once the start is answered. */
  launch(i: number): Promise<Launched>;
  /** Interactions over so far (completed or not). */
  finished(): number;
  /** Completed interactions so far, as the side's own record counts them (the database for the durable side). */
  completed(): Promise<number>;
}

/** Start requests a side has outstanding at once at most (a client with that many connections). */
const CONCURRENT_STARTS = 50;

/**
 * Keeps `settings.inFlight` interactions going: every millisecond it starts as many as have
 * finished since, at most `perSecond` in any second (when given) and CONCURRENT_STARTS
 * outstanding. Measures the completions over the window that follows the warm-up, then waits
 * until every started interaction is over.
 */
async function closedLoop(side: Side, settings: Settings, perSecond: number | undefined, withPostgres: boolean) {
  let launched = 0;
  let admitted = 0;
  let limited = 0;
  let outstanding = 0;
  const errors: string[] = [];
  let errorCount = 0;
  let failure: Error | undefined;
  let heldByLimit = false;
  // A ring of the last `perSecond` start times: one more may start once the oldest is over a second old.
  const recent = perSecond ? new Float64Array(perSecond).fill(-Infinity) : undefined;
  let next = 0;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const pending = () => launched - limited - errorCount - side.finished();
  const tick = () => {
    const now = performance.now();
    while (!stopping && failure === undefined && pending() < settings.inFlight && outstanding < CONCURRENT_STARTS) {
      if (recent) {
        // A margin of 20 ms: the server stamps an admission a little after the pacer decides.
        if ((recent[next] ?? -Infinity) > now - 1020) {
          heldByLimit = true;
          break;
        }
        recent[next] = now;
        next = (next + 1) % recent.length;
      }
      const i = launched;
      launched += 1;
      outstanding += 1;
      side.launch(i).then(
        (result) => {
          outstanding -= 1;
          if (result === 'started') admitted += 1;
          else if (result === 'limited') limited += 1;
          else {
            errorCount += 1;
            if (errors.length < 3) errors.push(result.error);
          }
        },
        (error: unknown) => {
          outstanding -= 1;
          failure ??= error instanceof Error ? error : new Error(`a start failed: ${inspect(error)}`);
          limited += 1;
        },
      );
    }
    if (!stopping) timer = setTimeout(tick, 1);
  };
  tick();
  await sleep(settings.warmupS * 1000);
  heldByLimit = false;
  const before = { completed: await side.completed(), at: performance.now(), cpu: cpuSnapshot([], withPostgres) };
  await sleep(settings.durationS * 1000);
  const after = { completed: await side.completed(), at: performance.now(), cpu: cpuSnapshot([], withPostgres) };
  const held = heldByLimit;
  stopping = true;
  clearTimeout(timer);
  const drainBy = Date.now() + 120_000;
  while ((pending() > 0 || outstanding > 0) && failure === undefined) {
    if (Date.now() > drainBy) throw new Error(`${pending()} interactions still running two minutes after the load stopped`);
    await sleep(20);
  }
  if (failure) throw failure;
  const windowS = (after.at - before.at) / 1000;
  const cpu = cpuUsage(before.cpu, after.cpu);
  const completedInWindow = after.completed - before.completed;
  return { completedInWindow, windowS, rate: completedInWindow / windowS, started: admitted, rejected: limited, startErrors: { count: errorCount, first: errors }, cpu, heldByLimit: held };
}

export interface FlowsApp {
  app: Switchboard;
  fixture: FlowFixture;
  tts: TextToSpeech;
  withPostgres: boolean;
}

/** An in-process app on `databaseUrl` (telephony on `time`'s clock) with the benchmark's account and flows set up through the API. */
export async function startFlowsApp(databaseUrl: string, time: TelephonyTime, tts: TextToSpeech, dataDir: string): Promise<FlowsApp> {
  const app = await flowsApp(databaseUrl, dataDir, tts, durableTelephony(time));
  try {
    return { app, fixture: await setUpFlows(app), tts, withPostgres: databaseUrl.startsWith('postgres') };
  } catch (error) {
    await app.close();
    throw error;
  }
}

/**
 * `startFlowsApp` for `body`, closed afterwards. `onApp` is handed the close function while the
 * app runs (the PostgreSQL schema is dropped only after it).
 */
export async function withFlowsApp<T>(databaseUrl: string, time: TelephonyTime, tts: TextToSpeech, body: (run: FlowsApp) => Promise<T>, onApp: (close: (() => Promise<void>) | undefined) => void = () => undefined): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-flows-'));
  try {
    const run = await startFlowsApp(databaseUrl, time, tts, dataDir);
    onApp(() => run.app.close());
    try {
      return await body(run);
    } finally {
      onApp(undefined);
      await run.app.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The durable engine: interactions started through `POST /flows/{id}/interactions`, run by the node's worker. */
export async function measureDurable(name: string, run: FlowsApp, settings: Settings): Promise<ThroughputResult> {
  const { app, fixture } = run;
  const baseline = app.worker.stats.succeeded + app.worker.stats.failed;
  const side: Side = {
    async launch(i) {
      const response = await app.server.inject({
        method: 'POST',
        url: `/flows/${fixture.flowId}/interactions`,
        headers: { authorization: `Bearer ${fixture.token}`, 'content-type': 'application/json' },
        payload: JSON.stringify(startArguments(i)),
      });
      if (response.statusCode === 202) return 'started';
      if (response.statusCode === 429) return 'limited';
      const answer = `${response.statusCode}: ${response.body.slice(0, 300)}`;
      if (response.statusCode >= 500) return { error: answer };
      throw new Error(`POST /flows/{id}/interactions answered ${answer}`);
    },
    // Each interaction is one flow.run job, recorded as succeeded once its last step has committed
    // (or as failed when given up on); the check afterwards reads the interactions themselves.
    finished: () => app.worker.stats.succeeded + app.worker.stats.failed - baseline,
    completed: () => completedCount(app, fixture),
  };
  say(`${name}: ${settings.inFlight} interactions in flight, ${settings.warmupS} s warm-up, then ${settings.durationS} s...`);
  const loop = await closedLoop(side, settings, Math.min(START_LIMIT, settings.startsPerSecond ?? START_LIMIT), run.withPostgres);
  say(`${name}: ${Math.round(loop.rate)} completed/s; checking every interaction...`);
  await noneRunning(app, fixture);
  await app.services.calls.drain();
  const verified = await verifyDurable(app, fixture, loop.started);
  return { name, settings, ...loop, verified, busy: loop.cpu.others > BUSY_CORES };
}

/** Waits (a minute at most) until no interaction of the flow is running any more. */
async function noneRunning(app: Switchboard, fixture: FlowFixture): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const row = await app.services.storage.db
      .selectFrom('interactions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', fixture.accountId)
      .where('flow_id', '=', fixture.flowId)
      .where('status', '=', 'running')
      .executeTakeFirstOrThrow();
    if (Number(row.n) === 0 || Date.now() > deadline) return;
    await sleep(50);
  }
}

/** `GET /flows/{id}/executions?status=completed`: the total it reports. */
async function completedCount(app: Switchboard, fixture: FlowFixture): Promise<number> {
  const response = await app.server.inject({
    method: 'GET',
    url: `/flows/${fixture.flowId}/executions?status=completed&per_page=1`,
    headers: { authorization: `Bearer ${fixture.token}` },
  });
  if (response.statusCode !== 200) throw new Error(`GET /flows/{id}/executions answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
  return Number((JSON.parse(response.body) as { total: number }).total);
}

/**
 * Every interaction the run started: completed, exactly the expected steps in order (the message
 * played, the agent connected), and both of its legs in the call log with their outcomes.
 */
async function verifyDurable(app: Switchboard, fixture: FlowFixture, started: number): Promise<ThroughputResult['verified']> {
  const { db } = app.services.storage;
  const { accountId, flowId } = fixture;
  const problems: string[] = [];
  const statuses = await db.selectFrom('interactions').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('account_id', '=', accountId).where('flow_id', '=', flowId).groupBy('status').execute();
  const total = statuses.reduce((sum, row) => sum + Number(row.n), 0);
  const completed = Number(statuses.find((row) => row.status === 'completed')?.n ?? 0);
  if (total !== started) problems.push(`${total} interactions stored; ${started} starts were admitted`);
  if (completed !== total) problems.push(`statuses: ${statuses.map((row) => `${row.status} ${Number(row.n)}`).join(', ')}`);

  // One row per interaction: its path, `component:exit` per step in order, joined with spaces.
  const pathOf = app.services.storage.dialect === 'postgres'
    ? sql<string>`string_agg(s.component || ':' || coalesce(s.exit, '-'), ' ' order by s.seq)`
    : sql<string>`(select group_concat(p, ' ') from (select s2.component || ':' || coalesce(s2.exit, '-') as p from interaction_steps s2 where s2.account_id = i.account_id and s2.interaction_id = i.id order by s2.seq))`;
  const paths = await db
    .selectFrom('interactions as i')
    .innerJoin('interaction_steps as s', (join) => join.onRef('s.account_id', '=', 'i.account_id').onRef('s.interaction_id', '=', 'i.id'))
    .select([pathOf.as('path'), (eb) => eb.fn.countAll<number>().as('steps')])
    .where('i.account_id', '=', accountId)
    .where('i.flow_id', '=', flowId)
    .where('i.status', '=', 'completed')
    .groupBy(['i.account_id', 'i.id'])
    .execute();
  const expected = EXPECTED_PATH.join(' ');
  const byPath = new Map<string, number>();
  for (const row of paths) byPath.set(row.path, (byPath.get(row.path) ?? 0) + 1);
  const ok = byPath.get(expected) ?? 0;
  for (const [path, n] of byPath) if (path !== expected) problems.push(`${n} interactions took ${path}`);

  const message = exampleMessage();
  const played = await db
    .selectFrom('interaction_steps')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('component', '=', 'announce')
    .where('detail', 'like', `%${message}%`)
    .executeTakeFirstOrThrow();
  if (Number(played.n) !== completed) problems.push(`${Number(played.n)} announce steps record the message; ${completed} interactions completed`);

  const legs = await db
    .selectFrom('calls')
    .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('account_id', '=', accountId)
    .where('kind', '=', 'flow_call')
    .groupBy('outcome')
    .execute();
  const legsBy = new Map(legs.map((row) => [row.outcome, Number(row.n)]));
  // The customer's leg ends forwarded, the agent's completed (after talking), one of each per interaction.
  if (legsBy.get('forwarded') !== started || legsBy.get('completed') !== started || legs.length !== 2) {
    problems.push(`call log flow legs by outcome: ${legs.map((row) => `${String(row.outcome)} ${Number(row.n)}`).join(', ')}; expected forwarded ${started}, completed ${started}`);
  }
  return { ok: problems.length === 0 ? ok : Math.min(ok, completed), of: started, problems };
}

/**
 * The ceiling: `interpret` as the flow simulator runs it (an in-memory progress store, in-memory
 * call records per interaction) with the durable side's handlers, TTS, clock and random source,
 * and the same phone scripts on the same telephony clock, in the process that runs `app`.
 */
export async function measureCeiling(run: FlowsApp, settings: Settings): Promise<ThroughputResult> {
  const { app, fixture } = run;
  const { definition, versionId } = await app.services.flows.runnable(fixture.accountId, fixture.flowId, 1);
  const version = loadVersion(definition);
  const telephony = ceilingTelephony(settings.time);
  const problems: string[] = [];
  let finished = 0;
  let ok = 0;
  const expected = EXPECTED_PATH.join(' ');
  const message = exampleMessage();
  const base = shareServices(run, telephony);
  const side: Side = {
    launch(i) {
      const calls = new MemoryCallRecords();
      const services: FlowServices = { ...base, calls };
      const now = services.clock.now().getTime();
      const ids = { interactionId: newId(now), flowId: fixture.flowId, flowVersionId: versionId };
      const steps: Step[] = [];
      const progress = startState(definition, ids, startArguments(i));
      void interpret({
        accountId: fixture.accountId, ...ids, version, progress, services, handlers: COMPONENT_HANDLERS,
        store: {
          advance: (step) => {
            steps.push(step);
            return Promise.resolve(true);
          },
          fail: () => Promise.resolve(),
          reserveLeg: () => Promise.resolve(),
        },
      }).then(
        async (final) => {
          const path = steps.map((s) => `${s.component}:${s.exit ?? '-'}`).join(' ');
          // A connected forward ends the flow; the agent's leg ends when the two hang up, just after.
          const legs = (await endedLegs(calls)).map((c) => c.outcome).sort().join(',');
          const said = steps[1]?.detail.text === message;
          if (final.status === 'completed' && path === expected && legs === 'completed,forwarded' && said) ok += 1;
          else if (problems.length < 5) problems.push(`${final.status} ${path} legs ${legs}${said ? '' : ' (message not recorded)'}`);
          finished += 1;
        },
        (error: unknown) => {
          if (problems.length < 5) problems.push(error instanceof Error ? error.message : String(error));
          finished += 1;
        },
      );
      return Promise.resolve('started' as const);
    },
    finished: () => finished,
    completed: () => Promise.resolve(ok),
  };
  say(`ceiling: ${settings.inFlight} interactions in flight, ${settings.warmupS} s warm-up, then ${settings.durationS} s...`);
  const loop = await closedLoop(side, settings, settings.startsPerSecond, run.withPostgres);
  return { name: 'ceiling (no persistence)', settings, ...loop, verified: { ok, of: loop.started, problems }, busy: loop.cpu.others > BUSY_CORES };
}

/** The interaction's legs once each has ended, or as they are after a few turns of the event loop. */
async function endedLegs(calls: MemoryCallRecords): Promise<CallRecord[]> {
  for (let turn = 0; turn < 100 && calls.all().some((c) => c.ended_at === null); turn++) await new Promise((resolve) => setTimeout(resolve, 0));
  return calls.all();
}

/** The durable engine's flow services, as far as a run without persistence shares them. */
function shareServices(run: FlowsApp, telephony: CallControl): Omit<FlowServices, 'calls'> {
  return {
    clock: run.app.services.clock,
    telephony,
    tts: run.tts,
    random: Math.random,
    // The example flow makes no HTTP request, reads no secret and requests no callback.
    http: { request: () => Promise.reject(new Error('the example flow makes no HTTP request')) },
    secrets: { read: () => Promise.reject(new Error('the example flow reads no secret')) },
    callbacks: { request: () => Promise.reject(new Error('the example flow requests no callback')) },
    cases: { create: () => Promise.reject(new Error('the example flow creates no case')), update: () => Promise.reject(new Error('the example flow updates no case')) },
  };
}

/** A scratch SQLite file for one measurement. */
export function sqliteUrl(): { url: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-flows-db-'));
  return { url: `sqlite:${join(dir, 'bench.db')}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
