/**
 * `npm run bench -- continuity`: throughput and latency of the routing hook
 * `POST /telephony/inbound-calls` (authenticated, every decision written to the call log) on
 * SQLite and PostgreSQL, beside a bare Fastify route answering a JSON body of the same size.
 *
 * Per target: a warm-up, wrk at full speed (closed loop: the maximum rate), then a fixed-rate
 * open-loop run at half of that maximum, and the ceiling at that same rate (the machine's floor).
 * Afterwards GET /calls must count every request that reached the server.
 *
 * Arguments: the targets to run (default all: `ceiling sqlite postgres forwards`; `forwards` times a PUT of 100,000 per-number forwards and the decision time at 10 vs 100,000 entries). Environment:
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; the bench creates and
 * drops its own schema there), BENCH_DURATION_S (default 10), BENCH_CONNECTIONS (default 50).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectStatus, request } from './lib/http.js';
import { measure, measureQuietly, type Load, type Measurement, type Settings } from './lib/measure.js';
import { loadSettings, wantedTargets } from './lib/options.js';
import { onInterrupt, startServer, type ServerProcess } from './lib/processes.js';
import { SchemaUnavailable, withSchema } from './lib/postgres.js';
import { machineSummary, printTable } from './lib/report.js';
import { runForwards } from './continuity-forwards.js';
import { assertWrk } from './lib/wrk.js';

export const PATH = '/telephony/inbound-calls';
export const ADMIN_TOKEN = 'bench-operator-token-0123456789';
export const SIGNING_SECRET = 'bench-signing-secret-0123456789-0123456789';
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const TARGETS = { throughput: 0.5, p99Ms: 10 };

const NUMBERS = ['+14155550100', '+14155550101', '+14155550102', '+14155550103', '+14155550104'];
const FORWARDS = { '+14155550100': '+18005550100', '+14155550101': '+18005550101', '+14155550102': '+18005550102', default: '+18005550000' };
const CALLER = '+12125550123';
const DOWNTIME_MESSAGE = 'We are experiencing an outage. Your call is being forwarded to our backup team.';

/** Call ids are `<one character>-<thread>-<9 digits>` everywhere, so every response has one size. */
const callBody = (prefix: string, i: number) =>
  JSON.stringify({ call_id: `${prefix}-1-${String(i + 1).padStart(9, '0')}`, from: CALLER, to: NUMBERS[(i + 1) % NUMBERS.length] });

const TARGET_NAMES = ['ceiling', 'sqlite', 'postgres', 'forwards'] as const;

export interface ContinuityResult extends Measurement {
  /** Calls GET /calls gained during the runs, and the requests answered and sent; not for the ceiling. */
  logged?: { count: number; answered: number; sent: number };
}

export interface Fixture {
  /** Holds only telephony:route, as a carrier's token would. */
  routeToken: string;
  readToken: string;
}

export async function run(args: string[]): Promise<void> {
  const wanted = wantedTargets(args, TARGET_NAMES);
  assertWrk();
  const settings = loadSettings();
  const postgresUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_POSTGRES;
  process.stdout.write(
    `${machineSummary()}\nload: wrk ${settings.threads} thread, ${settings.connections} connections, ${settings.durationS} s after a ${settings.warmupS} s warm-up; ` +
      `then a fixed rate of half the maximum for ${settings.durationS} s, against the target and against the ceiling\n\n`,
  );

  const results: ContinuityResult[] = [];
  const notes: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const forgetDataDir = onInterrupt(() => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })));
  const started: ServerProcess[] = [];
  const start = async (...params: Parameters<typeof startServer>) => {
    const server = await startServer(...params);
    started.push(server);
    return server;
  };
  try {
    // SQLite first: its real response becomes the ceiling's template, byte for byte.
    const sqlite = await start('switchboard (sqlite)', ['src/main.ts'], switchboardEnv(`sqlite:${join(dataDir, 'bench.db')}`, dataDir));
    const sqliteFixture = await prepare(sqlite.url);
    const sample = await sampleResponse(sqlite.url, sqliteFixture);
    const ceiling = await start('ceiling (bare fastify)', ['bench/ceiling-server.ts'], { BENCH_RESPONSE: sample, BENCH_PATH: PATH });
    const ceilingSample = await sampleResponse(ceiling.url, sqliteFixture);
    if (Buffer.byteLength(ceilingSample) !== Buffer.byteLength(sample)) {
      throw new Error(`the ceiling answers ${Buffer.byteLength(ceilingSample)} bytes, Switchboard ${Buffer.byteLength(sample)}`);
    }
    process.stdout.write(`response body: ${Buffer.byteLength(sample)} bytes, e.g. ${sample}\n\n`);

    if (wanted.has('ceiling')) {
      const target = { name: 'ceiling', server: ceiling, withPostgres: false, fixedRate: false };
      results.push(await measureQuietly('ceiling', () => measure(target, loadFor(sqliteFixture), settings)));
    }
    if (wanted.has('sqlite')) {
      results.push(await measureQuietly('sqlite', () => measureSwitchboard({ name: 'sqlite', server: sqlite, withPostgres: false, ceiling }, sqliteFixture, settings)));
    }
    await sqlite.stop();
    if (wanted.has('postgres')) {
      const postgres = await withSchema(postgresUrl, 'bench_continuity', async (url) => {
        const server = await start('switchboard (postgres)', ['src/main.ts'], switchboardEnv(url, dataDir));
        try {
          const fixture = await prepare(server.url);
          if (Buffer.byteLength(await sampleResponse(server.url, fixture)) !== Buffer.byteLength(sample)) {
            throw new Error('PostgreSQL and SQLite answered bodies of different sizes');
          }
          return await measureQuietly('postgres', () => measureSwitchboard({ name: 'postgres', server, withPostgres: true, ceiling }, fixture, settings));
        } finally {
          await server.stop();
        }
      }).catch((error: unknown) => {
        if (!(error instanceof SchemaUnavailable)) throw error;
        notes.push(`postgres: not measured, ${error.message}`);
        return undefined;
      });
      if (postgres) results.push(postgres);
    }
  } catch (error) {
    for (const server of started) process.stderr.write(`--- last output of ${server.name} ---\n${server.output()}\n`);
    throw error;
  } finally {
    for (const server of started) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    forgetDataDir();
  }

  // Figures, not a test: a missed target is reported (MISSED) without failing the command.
  printTable(results, TARGETS, notes);
  if (wanted.has('forwards')) await runForwards(postgresUrl);
}

export function switchboardEnv(databaseUrl: string, dataDir: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
    SWITCHBOARD_SIGNING_SECRET: SIGNING_SECRET,
    SWITCHBOARD_DATA_DIR: dataDir,
    // The stand-in providers listen on this host.
    SWITCHBOARD_EGRESS_ALLOW: '127.0.0.0/8',
  };
}

export function loadFor(fixture: Fixture): Load {
  return { path: PATH, headers: { authorization: `Bearer ${fixture.routeToken}` }, body: callBody, wrk: { from: CALLER, to: NUMBERS } };
}

/** An account with numbers, forwards, a downtime message and continuity on; a carrier's token. */
export async function prepare(base: string): Promise<Fixture> {
  const account = await expectStatus<{ id: string }>(201, base, 'POST', '/admin/accounts', { token: ADMIN_TOKEN, body: { name: 'Benchmark' } });
  const token = async (name: string, scopes: string[]) => {
    const client = await expectStatus<{ client_id: string; client_secret: string }>(201, base, 'POST', `/admin/accounts/${account.body.id}/clients`, {
      token: ADMIN_TOKEN,
      body: { name, scopes },
    });
    const issued = await expectStatus<{ access_token: string }>(200, base, 'POST', '/oauth/token', {
      body: { grant_type: 'client_credentials', client_id: client.body.client_id, client_secret: client.body.client_secret },
    });
    return issued.body.access_token;
  };
  const admin = await token('bench-setup', ['directory:write', 'continuity-settings:write', 'continuity-settings-activation:write', 'calls:read']);
  const routeToken = await token('bench-carrier', ['telephony:route']);
  for (const [i, number] of NUMBERS.entries()) {
    await expectStatus(201, base, 'POST', '/numbers', { token: admin, body: { number, name: `Line ${i + 1}` } });
  }
  await expectStatus(200, base, 'PUT', '/fallback-experience/settings', {
    token: admin,
    body: { forward: FORWARDS, message: { downtime_message: DOWNTIME_MESSAGE, language: 'en-US' } },
  });
  await expectStatus(200, base, 'PUT', '/fallback-experience/activation', { token: admin, body: { enabled: true } });
  return { routeToken, readToken: admin };
}

let samples = 0;

/** One routed call, checked to be a continuity forward: the body every benchmark request gets. */
async function sampleResponse(base: string, fixture: Fixture): Promise<string> {
  const response = await request<{ continuity?: boolean; decision?: { action?: string } }>(base, 'POST', PATH, {
    token: fixture.routeToken,
    body: JSON.parse(callBody('0', samples++)) as unknown,
  });
  if (response.status !== 200 || response.body.continuity !== true || response.body.decision?.action !== 'forward') {
    throw new Error(`unexpected routing answer ${response.status}: ${response.text}`);
  }
  return response.text;
}

/**
 * `measure` (maximum, then half of it, and the ceiling at that rate when given), then proof that
 * every request that reached the server is in the call log. The messaging benchmark measures its
 * peer figure with it too.
 */
export async function measureSwitchboard(
  target: { name: string; server: ServerProcess; withPostgres: boolean; ceiling?: ServerProcess | undefined },
  fixture: Fixture,
  settings: Settings,
): Promise<ContinuityResult> {
  const before = await loggedCalls(target.server.url, fixture);
  const result: ContinuityResult = await measure({ ...target, fixedRate: true }, loadFor(fixture), settings);
  // wrk stops with up to one request per connection written but unanswered: the server still
  // routes (and logs) those, so the count lies between what was answered and what was sent.
  const answered = result.warmup.requests + result.max.requests + (result.half?.result.ok ?? 0);
  const sent = result.warmup.generated + result.max.generated + (result.half?.result.sent ?? 0);
  const count = (await settledCount(target.server.url, fixture, before + sent)) - before;
  result.logged = { count, answered, sent };
  if (count < answered || count > sent) {
    throw new Error(`${target.name}: the call log gained ${count} calls during the run; ${answered} requests were answered and ${sent} sent`);
  }
  return result;
}

export async function loggedCalls(base: string, fixture: Fixture): Promise<number> {
  const page = await expectStatus<{ total: number }>(200, base, 'GET', '/calls?per_page=1', { token: fixture.readToken });
  return page.body.total;
}

/** The call log writes in batches: wait until it reaches `expected` or stops growing. */
export async function settledCount(base: string, fixture: Fixture, expected: number): Promise<number> {
  let last = -1;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const count = await loggedCalls(base, fixture);
    if (count >= expected || count === last) return count;
    last = count;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}
