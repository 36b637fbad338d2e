/**
 * `npm run bench -- flows`: the example flow of API.md (make_outbound_call → play_audio →
 * forward_to_external_number → end) on the simulated network, phones answering at once.
 *
 * - Throughput, closed loop: completed interactions per second for the durable engine on SQLite
 *   and on PostgreSQL (in-process app, worker on; started through
 *   `POST /flows/{id}/interactions` with the account's limit raised to 1,000/s; completions counted
 *   from `GET /flows/{id}/executions?status=completed`), beside the ceiling: the same interpreter,
 *   handlers and telephony with persistence disabled (in-memory progress store and call records,
 *   as the flow simulator runs it). Measured twice, each side treated alike:
 *   1. the telephony's waits (ringing, the ~5 s message, talk time) cost no time, 64 interactions
 *      in flight: each side runs as fast as its work allows. The targets are judged here;
 *   2. on the system clock, the network's real timing, with 2,500 interactions in flight (what
 *      500 completions a second need when each call holds ~5 s), starts paced at 500/s: whether
 *      the rate holds with thousands of interactions waiting at once.
 *   Afterwards every interaction must have completed along the expected path with both legs in
 *   the call log.
 * - Memory: 10,000 interactions whose customer's phone rings (35 s ring timeout), all ringing at
 *   once; heap and RSS growth per interaction after forced collections, in a child process run
 *   with `--expose-gc`. Durable on SQLite and PostgreSQL, and the interpreter alone.
 *
 * Arguments: the targets to run (default all: `sqlite postgres memory`; the ceiling is measured
 * whenever a throughput target is). Environment: BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test; a fresh schema per measurement, dropped afterwards),
 * BENCH_DURATION_S (measured window, default 10).
 */
import { speakingSeconds } from '../src/adapters/telephony/simulated/scripted-calls.js';
import { EspeakTts } from '../src/adapters/tts/espeak/espeak-tts.js';
import { waitForQuiet } from './lib/cpu.js';
import { BUSY_CORES } from './lib/measure.js';
import { wantedTargets } from './lib/options.js';
import { SchemaUnavailable, withSchema } from './lib/postgres.js';
import { machineSummary } from './lib/report.js';
import { START_LIMIT, exampleMessage } from './flows-fixture.js';
import { measureMemory, WAITING, type MemoryResult } from './flows-memory.js';
import { measureCeiling, measureDurable, sqliteUrl, withFlowsApp, type Settings, type TelephonyTime, type ThroughputResult } from './flows-throughput.js';

const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const TARGET_NAMES = ['sqlite', 'postgres', 'memory'] as const;
const TARGETS = { ratio: 0.3, sqlitePerSecond: 500, bytesPerWaiting: 20 * 1024 };
/** Interactions in flight when the telephony's waits cost nothing: enough to keep every side busy. */
const INSTANT_IN_FLIGHT = 64;
/** The longest the bench waits, before each measurement, for other processes to leave the CPU. */
const QUIET_WAIT_MS = 5000;

const say = (text: string) => process.stdout.write(`${text}\n`);

interface Phase {
  time: TelephonyTime;
  settings: Settings;
  rows: ThroughputResult[];
}

export async function run(args: string[]): Promise<void> {
  const wanted = wantedTargets(args, TARGET_NAMES);
  const postgresUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_POSTGRES;
  const durationS = Number(process.env.BENCH_DURATION_S ?? '10');
  const holdS = speakingSeconds(exampleMessage());
  // On the system clock: what the SQLite target's rate needs in flight when each call holds `holdS`.
  const systemInFlight = TARGETS.sqlitePerSecond * holdS;
  const phases: Phase[] = [
    { time: 'instant', settings: { time: 'instant', inFlight: INSTANT_IN_FLIGHT, warmupS: 3, durationS }, rows: [] },
    { time: 'system', settings: { time: 'system', inFlight: systemInFlight, startsPerSecond: TARGETS.sqlitePerSecond, warmupS: 2 * holdS, durationS }, rows: [] },
  ];
  const notes: string[] = [];
  const memory: MemoryResult[] = [];
  const tts = new EspeakTts();
  say(`${machineSummary()}\nthe example flow; the message holds each call ${holdS} s on the system clock; start limit raised to ${START_LIMIT}/s\n`);

  const quiet = async (what: string) => {
    const waited = await waitForQuiet(BUSY_CORES, QUIET_WAIT_MS, true);
    if (waited.waitedMs > 1500) say(`${what}: waited ${(waited.waitedMs / 1000).toFixed(0)} s for other processes to quieten (${waited.quiet ? 'they did' : `still ${waited.others.toFixed(2)} cores`})`);
  };

  if (wanted.has('sqlite') || wanted.has('postgres')) {
    for (const phase of phases) {
      const label = phase.time === 'system' ? 'system clock' : 'no waits';
      // The ceiling runs in the SQLite app's process, its database untouched.
      const sqlite = sqliteUrl();
      try {
        await withFlowsApp(sqlite.url, phase.time, tts, async (flows) => {
          await quiet(`ceiling (${label})`);
          phase.rows.push(await measureCeiling(flows, phase.settings));
          if (wanted.has('sqlite')) {
            await quiet(`sqlite (${label})`);
            phase.rows.push(await measureDurable(`sqlite (${label})`, flows, phase.settings));
          }
        });
      } finally {
        sqlite.remove();
      }
      if (wanted.has('postgres')) {
        let closeApp: (() => Promise<void>) | undefined;
        await withSchema(
          postgresUrl,
          'bench_flows',
          (url) =>
            withFlowsApp(url, phase.time, tts, async (flows) => {
              await quiet(`postgres (${label})`);
              phase.rows.push(await measureDurable(`postgres (${label})`, flows, phase.settings));
            }, (close) => (closeApp = close)),
          () => closeApp?.() ?? Promise.resolve(),
        ).catch((error: unknown) => {
          if (!(error instanceof SchemaUnavailable)) throw error;
          if (!notes.some((n) => n.startsWith('postgres'))) notes.push(`postgres: not measured, ${error.message}`);
        });
      }
    }
  }

  if (wanted.has('memory')) {
    const sqlite = sqliteUrl();
    try {
      say(`memory: ${WAITING.toLocaleString('en-US')} interactions ringing at once, durable on SQLite...`);
      memory.push(await measureMemory('durable', sqlite.url, 'sqlite'));
    } finally {
      sqlite.remove();
    }
    await withSchema(postgresUrl, 'bench_flows_memory', async (url) => {
      say(`memory: ${WAITING.toLocaleString('en-US')} interactions ringing at once, durable on PostgreSQL...`);
      memory.push(await measureMemory('durable', url, 'postgres'));
    }).catch((error: unknown) => {
      if (!(error instanceof SchemaUnavailable)) throw error;
      notes.push(`postgres memory: not measured, ${error.message}`);
    });
    const scratch = sqliteUrl();
    try {
      say(`memory: ${WAITING.toLocaleString('en-US')} interactions ringing at once, the interpreter alone...`);
      memory.push(await measureMemory('ceiling', scratch.url, 'none'));
    } finally {
      scratch.remove();
    }
  }
  printReport(phases, memory, notes, holdS);
}

const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–');
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

function printReport(phases: Phase[], memory: MemoryResult[], notes: string[], holdS: number): void {
  const lines: string[] = [];
  const verdicts: string[] = [];
  for (const phase of phases) {
    if (phase.rows.length === 0) continue;
    const ceiling = phase.rows.find((r) => r.name.startsWith('ceiling'));
    const { inFlight, warmupS, durationS } = phase.settings;
    lines.push(
      '',
      phase.time === 'system'
        ? `System clock (the message holds each call ${holdS} s), ${int(inFlight)} interactions in flight on each side, starts paced at ${int(phase.settings.startsPerSecond ?? NaN)}/s, ${warmupS} s warm-up, ${durationS} s measured:`
        : `Telephony waits cost no time (both sides), ${inFlight} interactions in flight, ${warmupS} s warm-up, ${durationS} s measured (the targets are judged here):`,
      '',
      '| engine | completed/s | × ceiling | CPU per interaction | checked (expected path, both legs logged) | start 429 / 5xx | cores: bench / others |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const row of phase.rows) {
      const ratio = ceiling ? (row.rate / ceiling.rate).toFixed(2) : '–';
      const perInteraction = row.completedInWindow > 0 ? `${int((row.cpu.ours * row.windowS * 1e6) / row.completedInWindow)} µs` : '–';
      const checked = `${int(row.verified.ok)}/${int(row.verified.of)}`;
      lines.push(`| ${row.name} | ${int(row.rate)} | ${ratio} | ${perInteraction} | ${checked} | ${int(row.rejected)} / ${int(row.startErrors.count)} | ${row.cpu.ours.toFixed(2)} / ${row.cpu.others.toFixed(2)}${row.busy ? ' (busy)' : ''} |`);
    }
    for (const row of phase.rows) {
      for (const problem of row.verified.problems) lines.push(`${row.name}: CHECK FAILED: ${problem}`);
      for (const answer of row.startErrors.first) lines.push(`${row.name}: a start failed: ${answer}`);
      if (row.heldByLimit && phase.time === 'instant') lines.push(`${row.name}: starts were held back for the account's ${START_LIMIT}/s limit during the window`);
    }
    if (phase.time !== 'instant' || !ceiling) continue;
    const needed = TARGETS.ratio * ceiling.rate;
    if (needed > START_LIMIT) {
      verdicts.push(`note: ${TARGETS.ratio}× the ceiling is ${int(needed)} completed/s, more than the ${int(START_LIMIT)} starts a second the API admits for an account at most: no durable engine started through POST /flows/{id}/interactions can meet it here`);
    }
    for (const row of phase.rows) {
      if (row === ceiling) continue;
      const ratio = row.rate / ceiling.rate;
      const correct = row.verified.problems.length === 0 && row.startErrors.count === 0;
      verdicts.push(`${row.name}: ${ratio.toFixed(2)}× the ceiling (target ≥ ${TARGETS.ratio}×): ${ratio >= TARGETS.ratio && correct ? 'MET' : 'MISSED'}`);
      if (row.name.startsWith('sqlite')) {
        verdicts.push(`${row.name}: ${int(row.rate)} completed/s (target ≥ ${TARGETS.sqlitePerSecond}/s): ${row.rate >= TARGETS.sqlitePerSecond && correct ? 'MET' : 'MISSED'}`);
      }
    }
  }
  lines.push('', 'CPU per interaction: cores used by the benchmark (this process, and PostgreSQL\'s processes for the postgres rows) × window ÷ completions.');

  if (memory.length > 0) {
    lines.push(
      '',
      `Memory, ${int(WAITING)} interactions ringing at once (35 s ring timeout), after forced collections (node --expose-gc, a child process per row):`,
      '',
      '| engine | ringing at once | time to start them all | heap per interaction | RSS per interaction | running jobs |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const m of memory) {
      const name = m.side === 'ceiling' ? 'interpreter alone (no persistence)' : `durable, ${m.database}`;
      lines.push(`| ${name} | ${int(m.ringing)} | ${m.fillS.toFixed(1)} s | ${kb(m.heapPerInteraction)} KB | ${kb(m.rssPerInteraction)} KB | ${m.side === 'ceiling' ? '–' : int(m.runningJobs)} |`);
      if (m.note) lines.push(`${name}: ${m.note}`);
    }
    for (const m of memory) {
      if (m.side === 'ceiling') continue;
      const all = m.ringing >= WAITING;
      const heapMet = m.heapPerInteraction < TARGETS.bytesPerWaiting && all;
      const rssMet = m.rssPerInteraction < TARGETS.bytesPerWaiting && all;
      verdicts.push(
        all
          ? `durable, ${m.database}: ${kb(m.heapPerInteraction)} KB heap, ${kb(m.rssPerInteraction)} KB RSS per waiting interaction with ${int(m.ringing)} ringing (target < 20 KB): heap ${heapMet ? 'MET' : 'MISSED'}, RSS ${rssMet ? 'MET' : 'MISSED'}`
          : `durable, ${m.database}: MISSED — only ${int(m.ringing)} of ${int(WAITING)} interactions could be ringing at once (${kb(m.heapPerInteraction)} KB heap, ${kb(m.rssPerInteraction)} KB RSS per interaction at that count)`,
      );
    }
  }
  if (notes.length > 0) lines.push('', ...notes);
  process.stdout.write(`${lines.join('\n')}\n\n${verdicts.join('\n')}\n`);
}
