/**
 * `npm run bench -- cases`: one account holding 1,000,000 cases (200 agents, 10 groups, built-in
 * and custom statuses, realistic titles, descriptions and notes; see cases-seed.ts), on
 * PostgreSQL and on SQLite, the real server as a child process.
 *
 * Latency, one request at a time over HTTP (keep-alive), each beside the floor: the same query as
 * hand-written SQL through the driver from this process (cases-floor.ts), the two interleaved:
 * - an agent's queue: `status_category=open&assignee_id=<one of 200>&sort=updated_at`;
 * - full text: `q=<surname> <product>`, a random customer's surname and one of four products (33
 *   matches at the median, 2,350 at most); beside it, not judged, two common words in 1.5% and
 *   in 15% of the cases;
 * - the first page, newest first, and the page after 900,000 cases by cursor (90% of the size);
 * - `GET /cases/{id}` of random cases.
 * Throughput: `POST /cases` with wrk (new cases assigned round the agents), beside plain inserts of
 * a case row through the driver.
 * Targets (PostgreSQL): every listed query's p99 under 30 ms and within 2× the floor's; the deep
 * page as fast as the first.
 *
 * Arguments: the databases to run (default both: `postgres sqlite`) and optionally `--cases=N`.
 * Environment: BENCH_CASES (default 1000000), BENCH_CASES_SAMPLES (per query, default 500),
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; a fresh schema, dropped
 * afterwards), BENCH_DURATION_S and BENCH_CONNECTIONS (creates, default 10 s and 50),
 * BENCH_CASES_QUERIES (measure only the queries whose names contain one of these comma-separated
 * words, and `creates` only if named: `BENCH_CASES_QUERIES='get by id'`; default everything).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BUSY_CORES, measureQuietly, type Measurement, type Settings } from './lib/measure.js';
import { loadSettings, wantedTargets } from './lib/options.js';
import { SchemaUnavailable, withSchema } from './lib/postgres.js';
import { onInterrupt, startServer, type ServerProcess } from './lib/processes.js';
import { machineSummary } from './lib/report.js';
import { assertWrk } from './lib/wrk.js';
import { switchboardEnv } from './continuity.js';
import { setUp, type Fixture } from './cases-seed.js';
import { loadPostgres, loadSqlite, type Loaded } from './cases-load.js';
import { postgresFloor, sqliteFloor, type Floor } from './cases-floor.js';
import { measureCreates, measureQueries, type CreatesResult, type QueryResult } from './cases-measure.js';

const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const TARGET_NAMES = ['postgres', 'sqlite'] as const;
export const TARGETS = { p99Ms: 30, ratio: 2, deepSlack: 1.2 };

type Database = (typeof TARGET_NAMES)[number];

interface DatabaseResult {
  database: Database;
  loaded: Loaded;
  size: string;
  queries: QueryResult[];
  /** Absent when BENCH_CASES_QUERIES leaves creates out. */
  creates: CreatesResult | undefined;
}

const say = (text: string) => process.stdout.write(`${text}\n`);

/** BENCH_CASES_QUERIES: comma-separated words; a query (or `creates`) is measured when its name contains one. */
const only = process.env.BENCH_CASES_QUERIES?.split(',').map((w) => w.trim()).filter((w) => w !== '');
const measured = (name: string) => !only?.length || only.some((word) => name.includes(word));

export async function run(args: string[]): Promise<void> {
  const sizeArg = args.find((a) => a.startsWith('--cases='));
  const count = Number(sizeArg?.slice('--cases='.length) ?? process.env.BENCH_CASES ?? '1000000');
  if (!Number.isInteger(count) || count < 1000) throw new Error('the number of cases must be an integer of at least 1,000');
  const wanted = wantedTargets(args.filter((a) => a !== sizeArg), TARGET_NAMES);
  if (measured('creates')) assertWrk();
  const samples = Number(process.env.BENCH_CASES_SAMPLES ?? '500');
  const settings = loadSettings();
  const postgresUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_POSTGRES;
  say(`${machineSummary()}\n${count.toLocaleString('en-US')} cases in one account; ${samples} samples per query, one request at a time\n`);

  const results: DatabaseResult[] = [];
  const notes: string[] = [];
  if (wanted.has('postgres')) {
    let stop: (() => Promise<void>) | undefined;
    await withSchema(postgresUrl, 'bench_cases', async (url) => {
      results.push(await measureDatabase('postgres', url, count, samples, settings, (s) => (stop = s)));
    }, () => stop?.() ?? Promise.resolve()).catch((error: unknown) => {
      if (!(error instanceof SchemaUnavailable)) throw error;
      notes.push(`postgres: not measured, ${error.message}`);
    });
  }
  if (wanted.has('sqlite')) {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-cases-'));
    const forget = onInterrupt(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    try {
      results.push(await measureDatabase('sqlite', `sqlite:${join(dir, 'cases.db')}`, count, samples, settings, () => undefined));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      forget();
    }
  }
  printReport(results, count, samples, settings, notes);
}

async function measureDatabase(
  database: Database,
  url: string,
  count: number,
  samples: number,
  settings: Settings,
  onServer: (stop: () => Promise<void>) => void,
): Promise<DatabaseResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  let server: ServerProcess | undefined;
  let floor: Floor | undefined;
  try {
    const start = async () => {
      const started = await startServer(`switchboard (${database})`, ['src/main.ts'], switchboardEnv(url, dataDir));
      onServer(() => started.stop());
      return started;
    };
    server = await start();
    const fixture: Fixture = await setUp(server.url);
    // Loaded with the server stopped: on SQLite the load holds the write lock for seconds at a time.
    await server.stop();
    server = undefined;
    say(`${database}: seeding ${count.toLocaleString('en-US')} cases...`);
    const file = url.slice('sqlite:'.length);
    const loaded = database === 'postgres' ? await loadPostgres(url, fixture, count, Date.now()) : loadSqlite(file, fixture, count, Date.now());
    say(`${database}: seeded in ${(loaded.ms / 1000).toFixed(0)} s (${loaded.notes.toLocaleString('en-US')} notes)`);
    server = await start();
    const size = database === 'postgres' ? await postgresSize(url) : `${(statSync(file).size / 2 ** 20).toFixed(0)} MiB file`;
    floor = database === 'postgres' ? postgresFloor(url) : sqliteFloor(file);
    const queries = await measureQueries(database, server, fixture, floor, count, samples, measured);
    const creates = measured('creates')
      ? await measureQuietly(`${database} creates`, () => measureCreates(database, server as ServerProcess, fixture, floor as Floor, count, settings))
      : undefined;
    return { database, loaded, size, queries, creates };
  } catch (error) {
    if (server) process.stderr.write(`--- last output of ${server.name} ---\n${server.output()}\n`);
    throw error;
  } finally {
    await floor?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function postgresSize(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string; i: string }>("select pg_size_pretty(pg_table_size('cases')) t, pg_size_pretty(pg_indexes_size('cases')) i");
    return `table ${rows[0]?.t ?? '?'}, indexes ${rows[0]?.i ?? '?'}`;
  } finally {
    await client.end();
  }
}

const ms = (value: number) => value.toFixed(2);
const int = (value: number) => Math.round(value).toLocaleString('en-US');

function printReport(results: DatabaseResult[], count: number, samples: number, settings: Settings, notes: string[]): void {
  const lines = [
    `Latency, ${samples} requests per query one at a time (API: HTTP to the server; SQL: the same query through the driver):`,
    '',
    '| database | query | API p50 ms | API p99 ms | SQL p50 ms | SQL p99 ms | API ÷ SQL at p99 | answers checked | other processes, cores |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const verdicts: string[] = [];
  for (const r of results) {
    for (const q of r.queries) {
      lines.push(`| ${r.database} | ${q.name} | ${ms(q.api.p50)} | ${ms(q.api.p99)} | ${ms(q.floor.p50)} | ${ms(q.floor.p99)} | ${(q.api.p99 / q.floor.p99).toFixed(2)} | ${q.checked} | ${q.others.toFixed(2)}${q.others > BUSY_CORES ? ' (busy)' : ''} |`);
      for (const problem of q.problems) verdicts.push(`${r.database} ${q.name}: CHECK FAILED: ${problem}`);
    }
  }
  if (results.some((r) => r.creates)) lines.push(
    '',
    `Creates, POST /cases with wrk (${settings.connections} connections, ${settings.durationS} s after ${settings.warmupS} s warm-up), beside inserts of a case row through the driver:`,
    '',
    '| database | API creates/s | p50 ms | p99 ms | SQL inserts/s |',
    '|---|---:|---:|---:|---:|',
  );
  for (const r of results) {
    const c = r.creates;
    if (!c) continue;
    lines.push(`| ${r.database} | ${int(c.max.rps)} | ${ms(c.max.p50Ms)} | ${ms(c.max.p99Ms)} | ${int(c.floorPerSecond)} |`);
  }
  lines.push('');
  for (const r of results) {
    lines.push(`${r.database}: ${int(r.loaded.cases)} cases and ${int(r.loaded.notes)} notes seeded in ${(r.loaded.ms / 1000).toFixed(0)} s; ${r.size}${r.creates ? createsCpu(r.creates) : ''}`);
  }
  for (const r of results) {
    if (r.database !== 'postgres') continue;
    for (const q of r.queries.filter((x) => x.judged)) {
      const met = q.api.p99 < TARGETS.p99Ms && q.api.p99 <= TARGETS.ratio * q.floor.p99 && q.problems.length === 0;
      verdicts.push(`postgres ${q.name}: p99 ${ms(q.api.p99)} ms (target < ${TARGETS.p99Ms} ms and ≤ ${TARGETS.ratio}× the SQL's ${ms(q.floor.p99)} ms): ${met ? 'MET' : 'MISSED'}`);
    }
  }
  for (const r of results) {
    const first = r.queries.find((q) => q.name.startsWith('first page'));
    const deep = r.queries.find((q) => q.name.startsWith('page after'));
    if (!first || !deep) continue;
    const met = deep.api.p50 <= first.api.p50 * TARGETS.deepSlack && deep.api.p99 <= first.api.p99 * TARGETS.deepSlack;
    verdicts.push(`${r.database}: the deep page p50/p99 ${ms(deep.api.p50)}/${ms(deep.api.p99)} ms, the first ${ms(first.api.p50)}/${ms(first.api.p99)} ms (target: as fast, within ${Math.round((TARGETS.deepSlack - 1) * 100)}%): ${met ? 'MET' : 'MISSED'}`);
  }
  process.stdout.write(`\n${count.toLocaleString('en-US')} cases\n\n${lines.join('\n')}\n\n${[...verdicts, ...notes].join('\n')}\n`);
}

const createsCpu = (c: Measurement) => `; creates: server ${(c.cpu.max.servers.get(c.cpu.serverPid) ?? 0).toFixed(2)} cores, benchmark in all ${c.cpu.max.ours.toFixed(2)}${c.busy ? ' — OTHER PROCESSES COMPETED FOR THE CPU' : ''}`;
