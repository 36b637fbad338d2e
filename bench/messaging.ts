/**
 * `npm run bench -- messaging`: `POST /messages` on the real server, each message routed by the
 * rule `["fbMessenger", "whatsApp", "sms", "email"]` through local stand-in providers
 * (bench/messaging-providers.ts, a child process): Messenger skipped (no fbMessengerId), WhatsApp
 * rejected by its provider (Graph error 131026), SMS accepted by a Twilio-compatible API that
 * posts the signed status callback `delivered` BENCH_RECEIPT_DELAY_MS later; email the fourth.
 *
 * Per database (PostgreSQL, then SQLite), on one server process:
 * 1. sends accepted: wrk (closed loop: the maximum rate), then an open loop at half of it, the
 *    delivery backlog drained in between and after; every message that reached the server must be
 *    in `GET /messages`;
 * 2. read back through `GET /messages`: each message's attempts and statuses — the fallback
 *    (WhatsApp's rejection → the SMS attempt, from the attempts' timestamps, and as the stand-ins
 *    saw it) and the time from `createdOn` to `sent` and to `delivered`;
 * 3. beside it, the continuity routing hook measured on the same server in the same run
 *    (continuity.ts's `measureSwitchboard`);
 * 4. then, on the same database, a server with its worker off (SWITCHBOARD_WORKER=false): the
 *    send route's acceptance alone, the sends left in the jobs table (wrk, maximum rate only);
 * 5. PostgreSQL only: beside that server, a second one with its worker on and no requests (the
 *    SMS callbacks now go to the first): the queued sends are delivered, then the accepting node
 *    is measured again while the worker node delivers, and every message of that phase must end
 *    delivered along the rule's path.
 * Targets: ≥ 1,000 sends/s accepted on PostgreSQL with every accepted send delivered (met if the
 * node of 1. or the pair of 5. reaches it; acceptance alone, which delivers nothing, is not
 * judged); the fallback to the next channel within 100 ms of a rejection (judged at p99).
 *
 * Arguments: the databases to run (default both: `postgres sqlite`). Environment:
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; a fresh schema, dropped
 * afterwards), BENCH_DURATION_S (default 10), BENCH_CONNECTIONS (default 50),
 * BENCH_RECEIPT_DELAY_MS (default 50).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, measureQuietly, type Measurement, type Settings } from './lib/measure.js';
import { loadSettings, wantedTargets } from './lib/options.js';
import { SchemaUnavailable, withSchema } from './lib/postgres.js';
import { onInterrupt, startServer, type ServerProcess } from './lib/processes.js';
import { machineSummary } from './lib/report.js';
import { assertWrk } from './lib/wrk.js';
import { measureSwitchboard, prepare as prepareContinuity, switchboardEnv, type ContinuityResult } from './continuity.js';
import {
  RULES,
  allMessages,
  checkOneMessage,
  configureChannels,
  deliveryStats,
  drain,
  messagingLoad,
  prepareMessaging,
  records,
  storedMessages,
  type DeliveryStats,
} from './messaging-measure.js';

const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const TARGET_NAMES = ['postgres', 'sqlite'] as const;
export const TARGETS = { sendsPerSecond: 1000, fallbackP99Ms: 100 };

type Database = (typeof TARGET_NAMES)[number];

interface SendsResult extends Measurement {
  /** Messages GET /messages gained during the run, and the requests answered and sent. */
  stored: { count: number; answered: number; sent: number };
  /** How long the deliveries left behind by the maximum rate, and by the fixed rate, took to finish. */
  drainMs: { max: number; half: number };
  delivery: { max: DeliveryStats; half: DeliveryStats | undefined };
}

interface SplitResult extends Measurement {
  stored: SendsResult['stored'];
  /** How long the worker node took to finish the sends after the load stopped. */
  drainMs: number;
  delivery: DeliveryStats;
}

interface DatabaseResult {
  database: Database;
  sends: SendsResult;
  continuity: ContinuityResult;
  /** POST /messages on a node with its worker off: acceptance alone, the sends left in the jobs table. */
  acceptance: Measurement & { stored: SendsResult['stored'] };
  /** PostgreSQL: POST /messages on that node while a second node (worker on, no requests) delivers every send. */
  split: SplitResult | undefined;
  /** Which process each companion pid is, for the CPU lines. */
  names: Map<number, string>;
  /** Requests the stand-ins got that the rule should never have caused. */
  unexpected: string[];
}

const say = (text: string) => process.stdout.write(`${text}\n`);

export async function run(args: string[]): Promise<void> {
  const wanted = wantedTargets(args, TARGET_NAMES);
  assertWrk();
  // Saturated, a node that also delivers answers some sends only after seconds (SQLite): a figure, not an error.
  const settings: Settings = { ...loadSettings(), timeoutS: 30 };
  const receiptDelayMs = Number(process.env.BENCH_RECEIPT_DELAY_MS ?? '50');
  const postgresUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_POSTGRES;
  say(
    `${machineSummary()}\nrule ${JSON.stringify(RULES)}: Messenger skipped (no address), WhatsApp rejected by its provider, SMS accepted and reported delivered ${receiptDelayMs} ms later\n` +
      `load: wrk ${settings.threads} thread, ${settings.connections} connections, ${settings.durationS} s after a ${settings.warmupS} s warm-up; then a fixed rate of half the maximum for ${settings.durationS} s\n`,
  );
  const results: DatabaseResult[] = [];
  const notes: string[] = [];
  if (wanted.has('postgres')) {
    let stop: (() => Promise<void>) | undefined;
    await withSchema(postgresUrl, 'bench_messaging', async (url) => {
      results.push(await measureDatabase('postgres', url, settings, receiptDelayMs, (s) => (stop = s)));
    }, () => stop?.() ?? Promise.resolve()).catch((error: unknown) => {
      if (!(error instanceof SchemaUnavailable)) throw error;
      notes.push(`postgres: not measured, ${error.message}`);
    });
  }
  if (wanted.has('sqlite')) {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-messaging-'));
    const forget = onInterrupt(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    try {
      results.push(await measureDatabase('sqlite', `sqlite:${join(dir, 'messaging.db')}`, settings, receiptDelayMs, () => undefined));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      forget();
    }
  }
  printReport(results, settings, receiptDelayMs, notes);
}

/** The stand-in providers and the server, the sends measured, the continuity route on the same server, then acceptance alone. */
async function measureDatabase(database: Database, url: string, settings: Settings, receiptDelayMs: number, onServer: (stop: () => Promise<void>) => void): Promise<DatabaseResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const started: ServerProcess[] = [];
  try {
    const providers = await startServer('stand-in providers', ['bench/messaging-providers.ts'], { BENCH_RECEIPT_DELAY_MS: String(receiptDelayMs) });
    started.push(providers);
    const server = await startServer(`switchboard (${database})`, ['src/main.ts'], switchboardEnv(url, dataDir));
    started.push(server);
    onServer(async () => {
      for (const s of started) await s.stop();
    });
    const fixture = await prepareMessaging(server.url, providers);
    const load = messagingLoad(fixture);
    await checkOneMessage(server.url, fixture, load);
    const base = server.url;
    const withPostgres = database === 'postgres';

    const sends = await measureQuietly(`${database} sends`, async () => {
      const before = await storedMessages(base, fixture);
      const drainMs = { max: 0, half: 0 };
      const settle = async () => {
        say(`${database}: waiting for the deliveries left behind...`);
        drainMs.max = await drain(base, fixture, providers);
        say(`${database}: done ${(drainMs.max / 1000).toFixed(1)} s after the load stopped`);
      };
      const measurement = await measure({ name: `POST /messages (${database})`, server, withPostgres, fixedRate: true, companions: [providers.pid], settle }, load, settings);
      drainMs.half = await drain(base, fixture, providers);
      // wrk stops with up to one request per connection written but unanswered: the server may still store those.
      const answered = measurement.warmup.requests + measurement.max.requests + (measurement.half?.result.ok ?? 0);
      const sent = measurement.warmup.generated + measurement.max.generated + (measurement.half?.result.sent ?? 0);
      const count = (await storedMessages(base, fixture)) - before;
      if (count < answered || count > sent) throw new Error(`${database}: GET /messages gained ${count} messages during the run; ${answered} requests were answered and ${sent} sent`);
      say(`${database}: reading every message back...`);
      const messages = await allMessages(base, fixture);
      const stands = await records(providers);
      const { prefixes } = measurement;
      const delivery = { max: deliveryStats(messages, prefixes.max, stands), half: prefixes.half === undefined ? undefined : deliveryStats(messages, prefixes.half, stands) };
      return Object.assign(measurement, { stored: { count, answered, sent }, drainMs, delivery });
    });

    const continuityFixture = await prepareContinuity(base);
    const continuity = await measureQuietly(`${database} continuity`, () =>
      measureSwitchboard({ name: `POST /telephony/inbound-calls (${database})`, server, withPostgres }, continuityFixture, settings),
    );
    const { unexpected } = await records(providers);
    const problems = Object.entries(unexpected)
      .filter(([, n]) => n > 0)
      .map(([what, n]) => `${n} ${what}`);

    // The same database, a node that only accepts: what the send route costs without the deliveries beside it.
    await server.stop();
    const acceptor = await startServer(`switchboard (${database}, worker off)`, ['src/main.ts'], { ...switchboardEnv(url, dataDir), SWITCHBOARD_WORKER: 'false' });
    started.push(acceptor);
    const acceptance = await measureQuietly(`${database} acceptance alone`, async () => {
      const before = await storedMessages(acceptor.url, fixture);
      const measurement = await measure({ name: `POST /messages (${database}, worker off)`, server: acceptor, withPostgres, fixedRate: false }, load, settings);
      const answered = measurement.warmup.requests + measurement.max.requests;
      const sent = measurement.warmup.generated + measurement.max.generated;
      const count = (await storedMessages(acceptor.url, fixture)) - before;
      if (count < answered || count > sent) throw new Error(`${database} (worker off): GET /messages gained ${count} messages; ${answered} requests were answered and ${sent} sent`);
      return Object.assign(measurement, { stored: { count, answered, sent } });
    });
    const names = new Map([[providers.pid, 'stand-in providers']]);

    // PostgreSQL, the deployment meant for load: nodes that accept and nodes that deliver, sharing the database.
    let split: SplitResult | undefined;
    if (withPostgres) {
      // The SMS stand-in's status callbacks go to the accepting node now (the first server is gone).
      await configureChannels(acceptor.url, fixture, providers, acceptor.url);
      const deliverer = await startServer(`switchboard (${database}, worker node)`, ['src/main.ts'], switchboardEnv(url, dataDir));
      started.push(deliverer);
      names.set(deliverer.pid, 'worker node');
      say(`${database}: the worker node sends what acceptance alone left queued...`);
      const queuedMs = await drain(acceptor.url, fixture, providers, 900_000);
      say(`${database}: done in ${(queuedMs / 1000).toFixed(1)} s`);
      split = await measureQuietly(`${database} API node + worker node`, async () => {
        const before = await storedMessages(acceptor.url, fixture);
        const measurement = await measure({ name: `POST /messages (${database}, API node + worker node)`, server: acceptor, withPostgres, fixedRate: false, companions: [deliverer.pid, providers.pid] }, load, settings);
        say(`${database}: waiting for the worker node to send the rest...`);
        const drainMs = await drain(acceptor.url, fixture, providers, 900_000);
        const answered = measurement.warmup.requests + measurement.max.requests;
        const sent = measurement.warmup.generated + measurement.max.generated;
        const count = (await storedMessages(acceptor.url, fixture)) - before;
        if (count < answered || count > sent) throw new Error(`${database} (API node + worker node): GET /messages gained ${count} messages; ${answered} requests were answered and ${sent} sent`);
        const delivery = deliveryStats(await allMessages(acceptor.url, fixture), measurement.prefixes.max, await records(providers));
        return Object.assign(measurement, { stored: { count, answered, sent }, drainMs, delivery });
      });
    }
    return { database, sends, continuity, acceptance, split, names, unexpected: problems };
  } catch (error) {
    for (const s of started) process.stderr.write(`--- last output of ${s.name} ---\n${s.output()}\n`);
    throw error;
  } finally {
    for (const s of started) await s.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '–');
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const cores = (m: Measurement, pid: number) => (m.cpu.max.servers.get(pid) ?? 0).toFixed(2);

function printReport(results: DatabaseResult[], settings: Settings, receiptDelayMs: number, notes: string[]): void {
  const lines = [
    `Sends on the real server (wrk ${settings.threads} thread, ${settings.connections} connections, ${settings.durationS} s after ${settings.warmupS} s warm-up; then an open loop at half that rate for ${settings.durationS} s), the continuity routing hook on the same server in the same run beside it:`,
    '',
    '| database | route | max req/s | × continuity | p50 ms | p99 ms | max ms | fixed rate req/s | p50 ms | p99 ms | server cores at max | stored during the run |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const peer = r.continuity.max.rps;
    const row = (name: string, m: Measurement, stored: string) => {
      const half = m.half ? `${int(m.half.result.achievedRate)} | ${ms(m.half.result.p50Ms)} | ${ms(m.half.result.p99Ms)}` : '– | – | –';
      return `| ${r.database} | ${name} | ${int(m.max.rps)} | ${(m.max.rps / peer).toFixed(2)} | ${ms(m.max.p50Ms)} | ${ms(m.max.p99Ms)} | ${ms(m.max.maxMs)} | ${half} | ${cores(m, m.cpu.serverPid)} | ${stored} |`;
    };
    const s = r.sends.stored;
    const c = r.continuity.logged;
    const a = r.acceptance.stored;
    lines.push(row('POST /messages', r.sends, `${int(s.count)} messages (answered ${int(s.answered)}, sent ${int(s.sent)})`));
    lines.push(row('POST /telephony/inbound-calls', r.continuity, c ? `${int(c.count)} calls logged (answered ${int(c.answered)}, sent ${int(c.sent)})` : '–'));
    lines.push(row('POST /messages, worker off (acceptance alone)', r.acceptance, `${int(a.count)} messages (answered ${int(a.answered)}, sent ${int(a.sent)})`));
    if (r.split) {
      const p = r.split.stored;
      lines.push(row('POST /messages, API node + worker node', r.split, `${int(p.count)} messages (answered ${int(p.answered)}, sent ${int(p.sent)})`));
    }
  }
  lines.push(
    '',
    `Every message of the two measured phases read back through GET /messages (fallback: WhatsApp's rejection → the SMS attempt; times from createdOn; the SMS stand-in reports delivered ${receiptDelayMs} ms after accepting):`,
    '',
    '| database | load | messages | delivered | expected trail | fallback p50 / p99 / max ms | at the providers p50 / p99 / max ms | → sent p50 / p99 ms | → delivered p50 / p99 / max ms | backlog done after |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of results) {
    const phases: [string, DeliveryStats | undefined, number][] = [
      [`max (${int(r.sends.max.rps)}/s)`, r.sends.delivery.max, r.sends.drainMs.max],
      [`fixed (${int(r.sends.half?.result.achievedRate ?? NaN)}/s)`, r.sends.delivery.half, r.sends.drainMs.half],
      [`API node + worker node, max (${int(r.split?.max.rps ?? NaN)}/s)`, r.split?.delivery, r.split?.drainMs ?? NaN],
    ];
    for (const [load, d, drainMs] of phases) {
      if (!d) continue;
      const three = (x: { p50: number; p99: number; max: number }) => `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.max)}`;
      lines.push(
        `| ${r.database} | ${load} | ${int(d.messages)} | ${int(d.delivered)} | ${int(d.expected)} | ${three(d.fallback)} | ${three(d.fallbackAtProviders)} | ${ms(d.toSent.p50)} / ${ms(d.toSent.p99)} | ${three(d.toDelivered)} | ${(drainMs / 1000).toFixed(1)} s |`,
      );
    }
  }
  lines.push('');
  const verdicts: string[] = [];
  for (const r of results) {
    for (const m of [r.sends, r.continuity, r.acceptance, ...(r.split ? [r.split] : [])] as Measurement[]) {
      const usage = m.cpu.max;
      const others = [...usage.servers].filter(([pid]) => pid !== m.cpu.serverPid).map(([pid, c]) => `, ${r.names.get(pid) ?? `pid ${pid}`} ${c.toFixed(2)}`).join('');
      const perRequest = ((usage.servers.get(m.cpu.serverPid) ?? 0) * 1e6) / m.max.rps;
      lines.push(
        `${m.name}: cores at max: server ${cores(m, m.cpu.serverPid)}${others}, benchmark in all ${usage.ours.toFixed(2)}, other processes ${usage.others.toFixed(2)}; server CPU per request ${int(perRequest)} µs` +
          `${m.cpu.half ? `; at the fixed rate: server ${(m.cpu.half.servers.get(m.cpu.serverPid) ?? 0).toFixed(2)}, other processes ${m.cpu.half.others.toFixed(2)}` : ''}` +
          (m.busy ? ' — OTHER PROCESSES COMPETED FOR THE CPU: these figures are pessimistic' : ''),
      );
    }
    for (const [phase, d] of [['max', r.sends.delivery.max], ['fixed', r.sends.delivery.half], ['API node + worker node', r.split?.delivery]] as const) {
      if (!d) continue;
      if (d.others.length > 0) lines.push(`${r.database} ${phase}: messages that did not take the expected path: ${d.others.join('; ')}`);
      const early = d.receiptsEarly;
      if (early.held + early.ignored > 0) {
        lines.push(`${r.database} ${phase}: ${int(early.held + early.ignored)} status callbacks came before the server had recorded the SMS send ("unknown"): ${int(early.held)} held for it ("pending"), ${int(early.ignored)} ignored`);
      }
      if (d.receiptsRefused > 0) lines.push(`${r.database} ${phase}: ${int(d.receiptsRefused)} status callbacks were answered other than 200`);
    }
    if (r.unexpected.length > 0) lines.push(`${r.database}: requests the stand-ins should not have had: ${r.unexpected.join(', ')}`);

    const everyOne = (d: DeliveryStats | undefined) => d !== undefined && d.delivered === d.messages && d.expected === d.messages;
    const single = `${int(r.sends.max.rps)} sends/s accepted by a node that also delivers them`;
    const alone = `${int(r.acceptance.max.rps)}/s by a node with its worker off (acceptance alone, nothing delivered: not judged)`;
    if (r.split) {
      const d = r.split.delivery;
      const pair = `${int(r.split.max.rps)}/s by an API node while a worker node delivered them (${int(d.delivered)} of ${int(d.messages)} delivered along the rule's path, the last ${(r.split.drainMs / 1000).toFixed(1)} s after the load)`;
      const met = (r.sends.max.rps >= TARGETS.sendsPerSecond && everyOne(r.sends.delivery.max)) || (r.split.max.rps >= TARGETS.sendsPerSecond && everyOne(d));
      verdicts.push(`${r.database}: ${single}; ${pair} (target ≥ ${int(TARGETS.sendsPerSecond)}/s): ${met ? 'MET' : 'MISSED'}; ${alone}`);
    } else {
      verdicts.push(`${r.database}: ${single} (the ${int(TARGETS.sendsPerSecond)}/s target is PostgreSQL's); ${alone}`);
    }
    const phases = [
      ['the fixed rate', r.sends.delivery.half, r.sends.half?.result.achievedRate ?? NaN],
      ['the maximum rate', r.sends.delivery.max, r.sends.max.rps],
      ['the maximum rate of an API node with a worker node', r.split?.delivery, r.split?.max.rps ?? NaN],
    ] as const;
    for (const [phase, d, rate] of phases) {
      if (!d) continue;
      // Every message must have taken the rule's path for its fallback figures to count.
      const met = d.fallback.p99 < TARGETS.fallbackP99Ms && d.expected === d.messages;
      verdicts.push(
        `${r.database}: fallback p99 ${ms(d.fallback.p99)} ms (max ${ms(d.fallback.max)} ms) at ${phase}, ${int(rate)} sends/s (target < ${TARGETS.fallbackP99Ms} ms): ${met ? 'MET' : 'MISSED'}`,
      );
    }
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n${[...verdicts, ...notes].join('\n')}\n`);
}
