/**
 * `npm run bench -- callbacks`: 100,000 queued callbacks across 50 skills.
 *
 * - dispatch (PostgreSQL): in-process (createApp with the worker on, HTTP injected), the latency
 *   from `PUT /agents/{id}/status` making an agent available to the start of their customer's
 *   dial, observed at the telephony adapter. Agents are released at a fixed rate, one skill after
 *   another, then in bursts of one per skill. Target: p99 under 50 ms.
 * - intake (PostgreSQL, the same 100,000-callback schema): the real server as a child process;
 *   wrk on `POST /rest/api/v1/callback` (every request a new number, so each is stored), and
 *   beside it on the same server the continuity routing hook `POST /telephony/inbound-calls`.
 *   Afterwards `GET /callbacks` and `GET /calls` must have gained every answered request.
 * - sqlite: the dispatch measurement on SQLite, for comparison.
 *
 * Arguments: the targets to run (default all: `dispatch intake sqlite`). Environment:
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; a fresh schema is created
 * and dropped), BENCH_CALLBACK_SAMPLES (default 1000), BENCH_CALLBACK_RATE (agents released per
 * second, default 20), BENCH_DURATION_S (default 10), BENCH_CONNECTIONS (default 50).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectStatus } from './lib/http.js';
import { measure, measureQuietly, type Load, type Measurement, type Settings } from './lib/measure.js';
import { loadSettings, wantedTargets } from './lib/options.js';
import { SchemaUnavailable, withSchema } from './lib/postgres.js';
import { onInterrupt, startServer, type ServerProcess } from './lib/processes.js';
import { machineSummary } from './lib/report.js';
import { assertWrk } from './lib/wrk.js';
import { loadFor as continuityLoad, loggedCalls, prepare as prepareContinuity, settledCount, switchboardEnv } from './continuity.js';
import { measureDispatch, measureDispatchSqlite, type DispatchResult } from './callbacks-dispatch.js';
import { QUEUED, SKILLS, skillName, type Fixture } from './callbacks-seed.js';

const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const TARGET_P99_MS = 50;
const TARGET_NAMES = ['dispatch', 'intake', 'sqlite'] as const;

interface IntakeRow {
  name: string;
  measurement: Measurement;
  /** What the listing gained during the run, against the requests answered and sent. */
  stored: { count: number; answered: number; sent: number; what: string };
}

export async function run(args: string[]): Promise<void> {
  const wanted = wantedTargets(args, TARGET_NAMES);
  if (wanted.has('intake')) assertWrk();
  const samples = Number(process.env.BENCH_CALLBACK_SAMPLES ?? '1000');
  const rate = Number(process.env.BENCH_CALLBACK_RATE ?? '20');
  const settings = loadSettings();
  const postgresUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_POSTGRES;
  process.stdout.write(`${machineSummary()}\n${QUEUED.toLocaleString('en-US')} queued callbacks across ${SKILLS} skills; agents released at ${rate}/s for ${samples} samples (after a warm-up of 100)\n\n`);

  const dispatch: DispatchResult[] = [];
  let intake: IntakeRow[] = [];
  const notes: string[] = [];
  if (wanted.has('dispatch') || wanted.has('intake')) {
    let closeApp: (() => Promise<void>) | undefined;
    await withSchema(
      postgresUrl,
      'bench_callbacks',
      async (url) => {
        // Without the dispatch target the queue is still seeded (for intake), with a token sample.
        const { result, fixture } = await measureDispatch('postgres', url, wanted.has('dispatch') ? samples : 50, rate, (close) => (closeApp = close));
        if (wanted.has('dispatch')) dispatch.push(result);
        if (wanted.has('intake')) intake = await measureIntake(url, fixture, settings);
      },
      () => closeApp?.() ?? Promise.resolve(),
    ).catch((error: unknown) => {
      if (!(error instanceof SchemaUnavailable)) throw error;
      notes.push(`postgres: not measured, ${error.message}`);
    });
  }
  if (wanted.has('sqlite')) dispatch.push(await measureDispatchSqlite(Math.min(samples, 500), rate));
  printReport(dispatch, intake, settings, notes);
}

/** The callback request route and the continuity routing hook, one after the other, on one server. */
async function measureIntake(url: string, fixture: Fixture, settings: Settings): Promise<IntakeRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const forget = onInterrupt(() => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })));
  let server: ServerProcess | undefined;
  try {
    server = await startServer('switchboard (postgres)', ['src/main.ts'], switchboardEnv(url, dataDir));
    const base = server.url;
    const target = { server, withPostgres: true, fixedRate: false };
    const callbacks = async (): Promise<number> =>
      (await expectStatus<{ total: number }>(200, base, 'GET', '/callbacks?per_page=1', { token: fixture.token })).body.total;

    const ours = await measureQuietly('callback intake', async () => {
      const before = await callbacks();
      const measurement = await measure({ ...target, name: 'POST /rest/api/v1/callback' }, intakeLoad(fixture.token), settings);
      const { answered, sent } = counts(measurement);
      const count = (await settled(callbacks, before + sent)) - before;
      if (count < answered || count > sent) throw new Error(`callbacks gained ${count} during the run; ${answered} requests were answered and ${sent} sent`);
      return Object.assign(measurement, { stored: { count, answered, sent, what: 'callbacks stored' } });
    });

    const continuity = await prepareContinuity(base);
    const peer = await measureQuietly('continuity', async () => {
      const before = await loggedCalls(base, continuity);
      const measurement = await measure({ ...target, name: 'POST /telephony/inbound-calls' }, continuityLoad(continuity), settings);
      const { answered, sent } = counts(measurement);
      const count = (await settledCount(base, continuity, before + sent)) - before;
      if (count < answered || count > sent) throw new Error(`the call log gained ${count} calls during the run; ${answered} requests were answered and ${sent} sent`);
      return Object.assign(measurement, { stored: { count, answered, sent, what: 'calls logged' } });
    });
    return [ours, peer].map((m) => ({ name: m.name, measurement: m, stored: m.stored }));
  } catch (error) {
    if (server) process.stderr.write(`--- last output of ${server.name} ---\n${server.output()}\n`);
    throw error;
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    forget();
  }
}

/** wrk stops with up to one request per connection written but unanswered; the server may still store those. */
const counts = (m: Measurement) => ({ answered: m.warmup.requests + m.max.requests, sent: m.warmup.generated + m.max.generated });

async function settled(read: () => Promise<number>, expected: number): Promise<number> {
  let last = -1;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const count = await read();
    if (count >= expected || count === last) return count;
    last = count;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

/**
 * Each request a new callback: the skill cycles through the 50, the number is
 * `+1 <200 + the phase prefix's character code> <thread> <counter, six digits>`, unique per phase
 * and never one of the queued customers' (+1415...).
 */
function intakeLoad(token: string): Load {
  const skills = Array.from({ length: SKILLS }, (_, s) => skillName(s));
  const number = (prefix: string, counter: number) => `+1${200 + prefix.charCodeAt(0)}1${String(counter).padStart(6, '0')}`;
  return {
    path: '/rest/api/v1/callback',
    headers: { authorization: `Bearer ${token}` },
    body: (prefix, i) => JSON.stringify({ skill: skills[(i + 1) % SKILLS], callbackNumber: number(prefix, i + 1) }),
    wrk: {
      lua: {
        prelude: `local skills = { ${skills.map((s) => JSON.stringify(s)).join(', ')} }`,
        body: `string.format('{"skill":"%s","callbackNumber":"+1%03d%d%06d"}', skills[(counter % #skills) + 1], 200 + string.byte(prefix), thread_id, counter)`,
      },
    },
  };
}

const ms = (value: number) => value.toFixed(1);
const int = (value: number) => Math.round(value).toLocaleString('en-US');

function printReport(dispatch: DispatchResult[], intake: IntakeRow[], settings: Settings, notes: string[]): void {
  const lines: string[] = [];
  if (dispatch.length > 0) {
    lines.push(
      'Agent available → customer dial starts (in-process, from the PUT /agents/{id}/status request to the telephony adapter\'s dial):',
      '',
      '| database | released | samples | p50 ms | p99 ms | max ms | PUT alone p50 / p99 ms | calls in progress (mean / most) | FIFO, right agent |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const r of dispatch) {
      const checks = `${r.fifo.checked - r.fifo.outOfOrder}/${r.fifo.checked}, ${r.attributed.checked - r.attributed.wrong}/${r.attributed.checked}`;
      lines.push(
        `| ${r.database} | ${r.rate}/s, one skill after another | ${r.steady.count} | ${ms(r.steady.p50)} | ${ms(r.steady.p99)} | ${ms(r.steady.max)} | ${ms(r.put.p50)} / ${ms(r.put.p99)} | ${r.inFlight.mean.toFixed(0)} / ${r.inFlight.max} | ${checks} |`,
        `| ${r.database} | ${SKILLS} at once (one per skill), 4× | ${r.burst.count} | ${ms(r.burst.p50)} | ${ms(r.burst.p99)} | ${ms(r.burst.max)} | – | – | (same) |`,
      );
    }
    lines.push('');
    for (const r of dispatch) {
      lines.push(
        `${r.database}: seeding and verifying ${int(QUEUED)} callbacks took ${(r.seedMs / 1000).toFixed(1)} s; worker concurrency ${r.concurrency}; ` +
          `release timer late by at most ${ms(r.clientLagMs)} ms; skipped ${r.skipped} (no idle agent), no dial ${r.lost}, unexpected dials ${r.stray}`,
      );
    }
    lines.push('');
    for (const r of dispatch) {
      const met = r.steady.p99 < TARGET_P99_MS && r.lost === 0;
      lines.push(`${r.database}: dispatch p99 ${ms(r.steady.p99)} ms at ${r.rate} releases/s (target < ${TARGET_P99_MS} ms): ${met ? 'MET' : 'MISSED'}`);
      lines.push(`${r.database}: dispatch p99 ${ms(r.burst.p99)} ms with ${SKILLS} agents released at once (target < ${TARGET_P99_MS} ms): ${r.burst.p99 < TARGET_P99_MS ? 'MET' : 'MISSED'}`);
    }
  }
  if (intake.length > 0) {
    const peer = intake.find((r) => r.name.includes('inbound-calls'));
    lines.push(
      '',
      `Intake on the real server (PostgreSQL, ${int(QUEUED)} callbacks queued; wrk ${settings.threads} thread, ${settings.connections} connections, ${settings.durationS} s after ${settings.warmupS} s warm-up), the continuity route beside it:`,
      '',
      '| route | req/s | × continuity | p50 ms | p99 ms | max ms | server cores | stored during the run |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const r of intake) {
      const m = r.measurement;
      const ratio = peer ? (m.max.rps / peer.measurement.max.rps).toFixed(2) : '–';
      const cores = (m.cpu.max.servers.get(m.cpu.serverPid) ?? 0).toFixed(2);
      lines.push(
        `| ${r.name} | ${int(m.max.rps)} | ${ratio} | ${ms(m.max.p50Ms)} | ${ms(m.max.p99Ms)} | ${ms(m.max.maxMs)} | ${cores} | ${int(r.stored.count)} ${r.stored.what} (answered ${int(r.stored.answered)}, sent ${int(r.stored.sent)}) |`,
      );
    }
    lines.push('');
    for (const r of intake) {
      const usage = r.measurement.cpu.max;
      lines.push(`${r.name}: cores used: server ${(usage.servers.get(r.measurement.cpu.serverPid) ?? 0).toFixed(2)}, benchmark in all (wrk, PostgreSQL) ${usage.ours.toFixed(2)}, other processes ${usage.others.toFixed(2)}${r.measurement.busy ? ' — OTHER PROCESSES COMPETED FOR THE CPU' : ''}`);
    }
    lines.push('intake: no target set by the issue; reported beside the continuity route measured on the same server in the same run');
  }
  if (notes.length > 0) lines.push('', ...notes);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}
