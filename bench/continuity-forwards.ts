import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApp, type Switchboard } from '../src/app.js';
import { parseEnv } from '../src/config/config.js';
import { createLogger } from '../src/kernel/logger.js';

const ADMIN = 'bench-operator-token-0123456789';
const ENTRIES = 100_000;
const DECISIONS = 5_000;
const PUTS = 3;

const own = (i: number) => `+1415${String(i).padStart(7, '0')}`;
const external = (i: number) => `+1628${String(i).padStart(7, '0')}`;

interface ForwardsResult {
  database: string;
  putMs: number[];
  decision: Record<'small' | 'large', { p50Us: number; p99Us: number }>;
}

async function inject(app: Switchboard, method: string, url: string, token: string, body: unknown) {
  const response = await app.server.inject({ method: method as 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
  return JSON.parse(response.body) as Record<string, unknown>;
}

/** An account with `entries` numbers, each forwarded, and continuity on; returns its token. */
async function accountWithForwards(app: Switchboard, entries: number): Promise<string> {
  const account = await inject(app, 'POST', '/admin/accounts', ADMIN, { name: `forwards-${entries}` });
  const client = await inject(app, 'POST', `/admin/accounts/${String(account.id)}/clients`, ADMIN, { name: 'bench', scopes: ['continuity-settings:write', 'continuity-settings-activation:write', 'telephony:route'] });
  const token = String((await inject(app, 'POST', '/oauth/token', '', { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret })).access_token);
  const at = new Date().toISOString();
  for (let start = 0; start < entries; start += 2000) {
    const rows = Array.from({ length: Math.min(2000, entries - start) }, (_, k) => ({
      account_id: String(account.id), number: own(start + k), name: 'bench', inbound_flow_id: null, created_at: at, updated_at: at,
    }));
    await app.services.storage.db.insertInto('numbers').values(rows).execute();
  }
  return token;
}

function forwardMap(entries: number): Record<string, string> {
  const forward: Record<string, string> = { default: '+18005550000' };
  for (let i = 0; i < entries; i++) forward[own(i)] = external(i);
  return forward;
}

async function decisionLatency(app: Switchboard, token: string, entries: number, label: string) {
  const samples: number[] = [];
  for (let i = 0; i < DECISIONS; i++) {
    const started = process.hrtime.bigint();
    await inject(app, 'POST', '/telephony/inbound-calls', token, { call_id: `${label}-${i}`, from: '+15105550123', to: own((i * 7919) % entries) });
    samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0;
  return { p50Us: at(0.5), p99Us: at(0.99) };
}

async function measure(database: string, url: string): Promise<ForwardsResult> {
  const config = { ...parseEnv({ DATABASE_URL: url, SWITCHBOARD_ADMIN_TOKEN: ADMIN, SWITCHBOARD_WORKER: 'false', LOG_LEVEL: 'silent' }), signingSecret: 'bench-signing-secret-0123456789-0123456789' };
  const app = await createApp(config, { logger: createLogger('silent') });
  try {
    const small = await accountWithForwards(app, 10);
    await inject(app, 'PUT', '/fallback-experience/settings', small, { forward: forwardMap(10) });
    await inject(app, 'PUT', '/fallback-experience/activation', small, { enabled: true });
    const large = await accountWithForwards(app, ENTRIES);
    const body = forwardMap(ENTRIES);
    const putMs: number[] = [];
    for (let i = 0; i < PUTS; i++) {
      const started = performance.now();
      await inject(app, 'PUT', '/fallback-experience/settings', large, { forward: body });
      putMs.push(performance.now() - started);
    }
    await inject(app, 'PUT', '/fallback-experience/activation', large, { enabled: true });
    await decisionLatency(app, small, 10, 'warm');
    return {
      database,
      putMs,
      decision: { small: await decisionLatency(app, small, 10, 'small'), large: await decisionLatency(app, large, ENTRIES, 'large') },
    };
  } finally {
    await app.close();
  }
}

/**
 * 100,000 per-number forwards in one account: how long the PUT takes (target < 2 s) and whether
 * the decision time grows with the number of entries (10 vs 100,000), on SQLite and PostgreSQL.
 * In-process (HTTP injected), so the figures are the server's own work without network or client.
 */
export async function runForwards(postgresUrl: string | undefined): Promise<void> {
  const results = [await measure('sqlite', `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-forwards-')), 'bench.db')}`)];
  if (postgresUrl) {
    const schema = `bench_forwards_${process.pid}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    try {
      const url = new URL(postgresUrl);
      url.searchParams.set('options', `-c search_path=${schema}`);
      results.push(await measure('postgres', url.toString()));
    } finally {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  }
  const lines = [
    `\n100,000 per-number forwards (PUT ${PUTS}×, then ${DECISIONS.toLocaleString('en-US')} sequential decisions per account, in-process):\n`,
    '| database | PUT 100k forwards ms (each run) | decision p50 / p99 µs, 10 entries | decision p50 / p99 µs, 100k entries |',
    '|---|---:|---:|---:|',
    ...results.map((r) => `| ${r.database} | ${r.putMs.map((m) => m.toFixed(0)).join(', ')} | ${r.decision.small.p50Us.toFixed(0)} / ${r.decision.small.p99Us.toFixed(0)} | ${r.decision.large.p50Us.toFixed(0)} / ${r.decision.large.p99Us.toFixed(0)} |`),
    '',
    ...results.map((r) => `${r.database}: slowest PUT ${Math.max(...r.putMs).toFixed(0)} ms (target < 2000 ms): ${Math.max(...r.putMs) < 2000 ? 'MET' : 'MISSED'}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
