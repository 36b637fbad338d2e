import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp, type Switchboard } from '../src/app.js';
import { parseEnv } from '../src/config/config.js';
import { createLogger } from '../src/kernel/logger.js';
import type { CallControl } from '../src/ports/telephony.js';
import { ADMIN_TOKEN, SIGNING_SECRET, SKILLS, api, jobsSettled, queueFronts, seed, setUp, skillOfCustomer, type Agent, type Fixture } from './callbacks-seed.js';

/** An agent is used again only this long after their previous call ended (its last transaction commits meanwhile). */
const REUSE_GRACE_MS = 500;
const DIAL_TIMEOUT_MS = 30_000;
const BURSTS = 4;

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface DispatchResult {
  database: 'postgres' | 'sqlite';
  seedMs: number;
  /** Agents released at a fixed rate, one skill after another. */
  steady: Summary;
  rate: number;
  /** How long the PUT that made the agent available took on its own. */
  put: Summary;
  /** Callback calls in progress when each steady-rate agent was released: mean and most. */
  inFlight: { mean: number; max: number };
  /** One agent of every skill released at the same moment, BURSTS times. */
  burst: Summary;
  /** Worst lateness of the release timer (the bench shares the server's event loop). */
  clientLagMs: number;
  /** Releases with no idle agent of the skill at their time (not measured), and releases never followed by a dial. */
  skipped: number;
  lost: number;
  /** Customer dials that followed no release (none expected: every agent but the released ones is offline). */
  stray: number;
  /** Every dial took the front of its skill's queue, and went to the agent just released. */
  fifo: { checked: number; outOfOrder: number };
  attributed: { checked: number; wrong: number };
  concurrency: number;
}

type Phase = 'warmup' | 'steady' | 'burst';

interface Sample {
  phase: Phase;
  agent: Agent;
  sentAt: number;
  putMs?: number;
  dialAt?: number;
  number?: string;
  inFlight: number;
}

export function summarise(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

/**
 * The observation point: wraps the telephony adapter the dispatcher dials through and notes the
 * moment each customer's dial starts (before the network does anything with it), and when each
 * customer's call ends.
 */
class DialWatch {
  private readonly waiting = new Map<number, Array<(at: number, number: string) => void>>();
  readonly ended = new Map<string, number>();
  inFlight = 0;
  stray = 0;

  wrap = (adapter: CallControl): CallControl => ({
    dial: (accountId, to, ringTimeoutS, onEvent) => {
      const at = performance.now();
      const skill = skillOfCustomer(to);
      if (skill !== undefined) {
        this.inFlight += 1;
        const next = this.waiting.get(skill)?.shift();
        if (next) next(at, to);
        else this.stray += 1;
      }
      return adapter.dial(accountId, to, ringTimeoutS, onEvent);
    },
    play: (accountId, to, announcement) => adapter.play(accountId, to, announcement),
    promptDigit: (accountId, to, announcement, timeoutS) => adapter.promptDigit(accountId, to, announcement, timeoutS),
    collectDigits: (accountId, to, announcement, limits) => adapter.collectDigits(accountId, to, announcement, limits),
    listen: (accountId, to, announcement, timeoutS) => adapter.listen(accountId, to, announcement, timeoutS),
    bridge: async (accountId, customer, agent) => {
      try {
        await adapter.bridge(accountId, customer, agent);
      } finally {
        this.inFlight -= 1;
        this.ended.set(customer, performance.now());
      }
    },
  });

  /** Resolves with the next customer dial of `skill`, or undefined after the timeout. */
  nextDial(skill: number): Promise<{ at: number; number: string } | undefined> {
    return new Promise((resolve) => {
      const queue = this.waiting.get(skill) ?? [];
      this.waiting.set(skill, queue);
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(onDial), 1);
        resolve(undefined);
      }, DIAL_TIMEOUT_MS);
      const onDial = (at: number, number: string) => {
        clearTimeout(timer);
        resolve({ at, number });
      };
      queue.push(onDial);
    });
  }
}

class Releases {
  readonly samples: Sample[] = [];
  private readonly lastCall = new Map<string, string | null>();
  skipped = 0;
  lost = 0;

  constructor(private readonly app: Switchboard, private readonly fixture: Fixture, private readonly watch: DialWatch) {}

  /** An agent of `skill` with no call of theirs in progress, or undefined. */
  idleAgent(skill: number): Agent | undefined {
    return this.fixture.agents[skill]?.find((agent) => {
      if (!this.lastCall.has(agent.id)) return true;
      const number = this.lastCall.get(agent.id);
      const ended = number ? this.watch.ended.get(number) : undefined;
      return ended !== undefined && performance.now() - ended > REUSE_GRACE_MS;
    });
  }

  /** Makes `agent` available through the API, times their first dial, then sets them offline so their call's end frees nobody. */
  async release(agent: Agent, phase: Phase): Promise<void> {
    const status = (s: string) => api(this.app, 200, 'PUT', `/agents/${agent.id}/status`, this.fixture.token, { status: s });
    this.lastCall.set(agent.id, null);
    const sample: Sample = { phase, agent, sentAt: performance.now(), inFlight: this.watch.inFlight };
    const dial = this.watch.nextDial(agent.skill);
    await status('available');
    sample.putMs = performance.now() - sample.sentAt;
    const dialled = await dial;
    if (!dialled) {
      this.lost += 1;
      await status('offline');
      return;
    }
    sample.dialAt = dialled.at;
    sample.number = dialled.number;
    this.lastCall.set(agent.id, dialled.number);
    await status('offline');
    this.samples.push(sample);
  }

  /** One release every 1/rate s, cycling through the skills; returns the worst timer lateness. */
  async atRate(count: number, rate: number, phase: Phase, offset = 0): Promise<number> {
    const started = performance.now();
    const running: Promise<void>[] = [];
    let lag = 0;
    for (let k = 0; k < count; k++) {
      const due = started + (k * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      lag = Math.max(lag, performance.now() - due);
      const agent = this.idleAgent((k + offset) % SKILLS);
      if (!agent) {
        this.skipped += 1;
        continue;
      }
      running.push(this.release(agent, phase));
    }
    await Promise.all(running);
    return lag;
  }

  /** One agent of every skill released at the same moment. */
  async burst(): Promise<void> {
    const agents = Array.from({ length: SKILLS }, (_, s) => this.idleAgent(s));
    await Promise.all(agents.map((agent) => (agent ? this.release(agent, 'burst') : Promise.resolve())));
    this.skipped += agents.filter((a) => !a).length;
  }

  latencies(phase: Phase): number[] {
    return this.of(phase).map((s) => (s.dialAt ?? 0) - s.sentAt);
  }

  of(phase: Phase): Sample[] {
    return this.samples.filter((s) => s.phase === phase);
  }
}

async function settled(app: Switchboard, watch: DialWatch): Promise<void> {
  while (watch.inFlight > 0) await new Promise((r) => setTimeout(r, 50));
  await jobsSettled(app);
  await new Promise((r) => setTimeout(r, REUSE_GRACE_MS));
}

/** Checks against the database that each dial went to the agent released and took the front of its skill's queue. */
async function check(app: Switchboard, fixture: Fixture, samples: Sample[], fronts: string[][]) {
  const fifo = { checked: 0, outOfOrder: 0 };
  const taken = new Map<number, Sample[]>();
  for (const sample of [...samples].sort((a, b) => (a.dialAt ?? 0) - (b.dialAt ?? 0))) {
    const list = taken.get(sample.agent.skill) ?? [];
    list.push(sample);
    taken.set(sample.agent.skill, list);
  }
  for (const [skill, list] of taken) {
    const front = fronts[skill] ?? [];
    list.forEach((sample, i) => {
      fifo.checked += 1;
      if (front[i] !== sample.number) fifo.outOfOrder += 1;
    });
  }
  const rows = await app.services.storage.db
    .selectFrom('callbacks')
    .select(['number', 'agent_id', 'state'])
    .where('account_id', '=', fixture.accountId)
    .where('number', 'in', samples.map((s) => s.number ?? ''))
    .execute();
  const byNumber = new Map(rows.map((r) => [r.number, r]));
  let wrong = 0;
  for (const sample of samples) {
    const row = byNumber.get(sample.number ?? '');
    if (row?.agent_id !== sample.agent.id || row.state !== 'completed') wrong += 1;
  }
  return { fifo, attributed: { checked: samples.length, wrong } };
}

export interface DispatchRun {
  result: DispatchResult;
  fixture: Fixture;
}

/**
 * In-process (HTTP injected, the worker on): seeds the queue, then releases agents through
 * `PUT /agents/{id}/status` at `rate` per second for `count` samples (after a warm-up), then in
 * bursts of one per skill, and times each release to its customer's dial.
 */
export async function measureDispatch(database: 'postgres' | 'sqlite', url: string, count: number, rate: number, onApp: (close: (() => Promise<void>) | undefined) => void = () => undefined): Promise<DispatchRun> {
  const config = { ...parseEnv({ DATABASE_URL: url, SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN, SWITCHBOARD_WORKER: 'true', LOG_LEVEL: 'silent' }), signingSecret: SIGNING_SECRET };
  const watch = new DialWatch();
  const app = await createApp(config, { logger: createLogger('silent'), telephony: watch.wrap });
  onApp(() => app.close());
  const say = (text: string) => process.stdout.write(`${database}: ${text}\n`);
  try {
    const fixture = await setUp(app);
    say('seeding 100,000 queued callbacks across 50 skills...');
    const seedMs = await seed(app, fixture);
    say(`seeded and verified in ${(seedMs / 1000).toFixed(1)} s`);
    const releases = new Releases(app, fixture, watch);
    const warmup = Math.min(100, count);
    const fronts = await queueFronts(app, fixture.accountId, Math.ceil((warmup + count) / SKILLS) + BURSTS + 1);

    say(`warm-up: ${warmup} releases...`);
    await releases.atRate(warmup, rate, 'warmup');
    await settled(app, watch);
    say(`${count} releases at ${rate}/s...`);
    const clientLagMs = await releases.atRate(count, rate, 'steady', warmup);
    await settled(app, watch);
    say(`${BURSTS} bursts of ${SKILLS} releases at once...`);
    for (let b = 0; b < BURSTS; b++) {
      await releases.burst();
      await settled(app, watch);
    }
    const checked = await check(app, fixture, releases.samples, fronts);
    const steadySamples = releases.of('steady');
    return {
      fixture,
      result: {
        database,
        seedMs,
        steady: summarise(releases.latencies('steady')),
        rate,
        put: summarise(steadySamples.map((s) => s.putMs ?? 0)),
        inFlight: { mean: steadySamples.reduce((a, s) => a + s.inFlight, 0) / Math.max(1, steadySamples.length), max: Math.max(...steadySamples.map((s) => s.inFlight)) },
        burst: summarise(releases.latencies('burst')),
        clientLagMs,
        skipped: releases.skipped,
        lost: releases.lost,
        stray: watch.stray,
        ...checked,
        concurrency: config.SWITCHBOARD_WORKER_CONCURRENCY,
      },
    };
  } finally {
    onApp(undefined);
    await app.close();
  }
}

/** The same on a temporary SQLite file. */
export async function measureDispatchSqlite(count: number, rate: number): Promise<DispatchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-callbacks-'));
  try {
    return (await measureDispatch('sqlite', `sqlite:${join(dir, 'bench.db')}`, count, rate)).result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
