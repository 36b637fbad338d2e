import { sql } from 'kysely';
import type { Database } from '../src/ports/storage.js';
import type { Switchboard } from '../src/app.js';
import { newId } from '../src/kernel/ids.js';
import { ADMIN_TOKEN } from './continuity.js';

/**
 * The callbacks benchmark's data: one account with 50 skills, two offline agents per skill, and
 * 100,000 queued callbacks (2,000 per skill, interleaved in arrival order) whose customers'
 * phones answer at once and hang up as soon as they are connected.
 */
export { ADMIN_TOKEN, SIGNING_SECRET } from './continuity.js';
export const SKILLS = 50;
export const QUEUED = 100_000;
export const AGENTS_PER_SKILL = 2;

export const skillName = (s: number) => `Skill ${String(s + 1).padStart(2, '0')}`;
/** Customer `i` waits on skill `i % SKILLS`. */
export const customer = (i: number) => `+1415${String(i).padStart(7, '0')}`;
export const skillOfCustomer = (number: string): number | undefined => (number.startsWith('+1415') ? Number(number.slice(5)) % SKILLS : undefined);
const agentPhone = (a: number) => `+1628555${String(a).padStart(4, '0')}`;

/** Customers answer at once and hang up when bridged; each callback call lasts about the 1 s greeting. */
const CUSTOMER_SCRIPT = { behavior: 'answer', answer_after_s: 0, talk_s: 0 };
const AGENT_SCRIPT = { behavior: 'answer', answer_after_s: 0 };
/** One word: the network holds the call for the shortest announcement (1 s). */
const ANNOUNCEMENTS = { 'en-US': { greeting: 'Hello.', prompt: 'Press 1 to talk to an agent, 2 to wait, 3 to cancel.' } };

export interface Agent {
  id: string;
  skill: number;
}

export interface Fixture {
  accountId: string;
  token: string;
  /** `agents[s]`: the agents of skill `s`, all offline. */
  agents: Agent[][];
}

type Json = Record<string, unknown>;

export async function api(app: Switchboard, expected: number, method: string, url: string, token: string, body?: unknown): Promise<Json> {
  const response = await app.server.inject({
    method: method as 'POST',
    url,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  if (response.statusCode !== expected) throw new Error(`${method} ${url}: expected ${expected}, got ${response.statusCode}: ${response.body.slice(0, 500)}`);
  return response.body ? (JSON.parse(response.body) as Json) : {};
}

/** Account, token, skills and agents, all through the API. */
export async function setUp(app: Switchboard): Promise<Fixture> {
  const account = await api(app, 201, 'POST', '/admin/accounts', ADMIN_TOKEN, { name: 'Callbacks benchmark' });
  const accountId = String(account.id);
  const scopes = ['directory:read', 'directory:write', 'callback:write', 'callbacks:read', 'telephony:route', 'calls:read'];
  const client = await api(app, 201, 'POST', `/admin/accounts/${accountId}/clients`, ADMIN_TOKEN, { name: 'bench', scopes });
  const issued = await api(app, 200, 'POST', '/oauth/token', '', { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret });
  const token = String(issued.access_token);
  const agents: Agent[][] = [];
  for (let s = 0; s < SKILLS; s++) {
    await api(app, 201, 'POST', '/skills', token, { name: skillName(s), announcements: ANNOUNCEMENTS });
    const ofSkill: Agent[] = [];
    for (let k = 0; k < AGENTS_PER_SKILL; k++) {
      const phone = agentPhone(s * AGENTS_PER_SKILL + k);
      await api(app, 200, 'PUT', `/sim/phones/${encodeURIComponent(phone)}`, token, AGENT_SCRIPT);
      const agent = await api(app, 201, 'POST', '/agents', token, { name: `Agent ${s}-${k}`, skills: [skillName(s)], status: 'offline', phone });
      ofSkill.push({ id: String(agent.id), skill: s });
    }
    agents.push(ofSkill);
  }
  return { accountId, token, agents };
}

/** Waits until no callback job is pending or running (the worker has handled every request). */
export async function jobsSettled(app: Switchboard, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await app.services.storage.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['pending', 'running'])
      .where('type', 'like', 'callback.%')
      .executeTakeFirstOrThrow();
    if (Number(row.n) === 0 && app.worker.stats.running === 0) return;
    if (Date.now() > deadline) throw new Error(`callback jobs still pending or running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

/**
 * A copy of `template` for another customer at another time: its id, number and every timestamp
 * (moved by the same offset) substituted, everything else byte for byte what the API stored.
 */
function copyOf<T>(template: T, base: number, substitutions: [string, string][], at: number): T {
  let text = JSON.stringify(template);
  for (const [from, to] of substitutions) text = text.replaceAll(from, to);
  text = text.replace(ISO, (iso) => new Date(Date.parse(iso) - base + at).toISOString());
  return JSON.parse(text) as T;
}

/**
 * Queues QUEUED callbacks. The first of each skill goes through `POST /rest/api/v1/callback` (and
 * its customer's phone through `PUT /sim/phones`); the rest are copies of those rows (callback,
 * its call-log entry, the scripted phone) inserted in batches, as if requested one millisecond
 * apart over the previous 100 s. Returns how long seeding took.
 */
export async function seed(app: Switchboard, fixture: Fixture): Promise<number> {
  const started = performance.now();
  const { db } = app.services.storage;
  const { accountId, token } = fixture;
  const firstAt = Date.now() - QUEUED - 5_000;
  for (let s = 0; s < SKILLS; s++) {
    await api(app, 200, 'PUT', `/sim/phones/${encodeURIComponent(customer(s))}`, token, CUSTOMER_SCRIPT);
    await api(app, 204, 'POST', '/rest/api/v1/callback', token, { skill: skillName(s), callbackNumber: customer(s) });
  }
  await jobsSettled(app);
  await app.services.calls.drain();

  const templates = await Promise.all(
    Array.from({ length: SKILLS }, async (_, s) => {
      const number = customer(s);
      const callback = await db.selectFrom('callbacks').selectAll().where('account_id', '=', accountId).where('number', '=', number).executeTakeFirstOrThrow();
      const call = await db.selectFrom('calls').selectAll().where('account_id', '=', accountId).where('from_number', '=', number).where('kind', '=', 'callback_request').executeTakeFirstOrThrow();
      const phone = await db.selectFrom('sim_phones').selectAll().where('account_id', '=', accountId).where('number', '=', number).executeTakeFirstOrThrow();
      return { number, callback, call, phone };
    }),
  );

  const BATCH = 1000;
  for (let start = SKILLS; start < QUEUED; start += BATCH) {
    const callbacks: Database['callbacks'][] = [];
    const calls: Database['calls'][] = [];
    const phones: Database['sim_phones'][] = [];
    for (let i = start; i < Math.min(QUEUED, start + BATCH); i++) {
      const t = templates[i % SKILLS];
      if (!t) throw new Error('no template');
      const at = firstAt + i;
      const number: [string, string] = [t.number, customer(i)];
      callbacks.push(copyOf(t.callback, Date.parse(t.callback.created_at), [number, [t.callback.id, newId(at)]], at));
      calls.push(copyOf(t.call, Date.parse(t.call.started_at), [number, [t.call.id, newId(at)]], at));
      phones.push(copyOf(t.phone, Date.parse(t.phone.updated_at), [number], at));
    }
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('callbacks').values(callbacks).execute();
      await trx.insertInto('calls').values(calls).execute();
      await trx.insertInto('sim_phones').values(phones).execute();
    });
  }
  if (app.services.storage.dialect === 'postgres') {
    // Statistics as autovacuum would have them for a queue that grew over time, not for 50 rows.
    for (const table of ['callbacks', 'calls', 'sim_phones']) await sql.raw(`ANALYZE ${table}`).execute(db);
  }
  await verify(app, fixture, templates.map((t) => t.callback.id));
  return performance.now() - started;
}

/** Through the API: every callback is there and queued, per skill too, and a copy reads exactly like a row the API stored. */
async function verify(app: Switchboard, fixture: Fixture, apiIds: string[]): Promise<void> {
  const { token, accountId } = fixture;
  const total = async (query: string) => Number((await api(app, 200, 'GET', `/callbacks?per_page=1${query}`, token)).total);
  const all = await total('');
  const queued = await total('&state=queued');
  const perSkill = await total(`&skill=${encodeURIComponent(skillName(7))}`);
  if (all !== QUEUED || queued !== QUEUED || perSkill !== QUEUED / SKILLS) {
    throw new Error(`seeded ${all} callbacks (${queued} queued, ${perSkill} on ${skillName(7)}); expected ${QUEUED}, all queued, ${QUEUED / SKILLS} per skill`);
  }
  const logged = Number((await api(app, 200, 'GET', '/calls?per_page=1', token)).total);
  if (logged !== QUEUED) throw new Error(`the call log holds ${logged} callback requests; expected ${QUEUED}`);
  const varying = new Set(['id', 'callback_number', 'last_requested_at', 'queued_at', 'next_attempt_at', 'created_at', 'updated_at']);
  const shape = (c: Json) => JSON.stringify(Object.fromEntries(Object.entries(c).filter(([k]) => !varying.has(k))));
  for (const i of [SKILLS + 7, 31_337, QUEUED - 1]) {
    const row = await app.services.storage.db.selectFrom('callbacks').select('id').where('account_id', '=', accountId).where('number', '=', customer(i)).executeTakeFirstOrThrow();
    const copy = await api(app, 200, 'GET', `/callbacks/${row.id}`, token);
    const original = await api(app, 200, 'GET', `/callbacks/${apiIds[i % SKILLS] ?? ''}`, token);
    if (shape(copy) !== shape(original) || copy.callback_number !== customer(i)) {
      throw new Error(`a seeded callback differs from the one the API stored:\n${JSON.stringify(copy)}\n${JSON.stringify(original)}`);
    }
  }
}

/** Per skill, the numbers at the front of its queue in the order dispatch must take them (FIFO). */
export async function queueFronts(app: Switchboard, accountId: string, depth: number): Promise<string[][]> {
  const { db } = app.services.storage;
  const skills = await db.selectFrom('skills').select(['id', 'name']).where('account_id', '=', accountId).execute();
  const byName = new Map(skills.map((s) => [s.name, s.id]));
  return Promise.all(
    Array.from({ length: SKILLS }, async (_, s) => {
      const rows = await db
        .selectFrom('callbacks')
        .select('number')
        .where('account_id', '=', accountId)
        .where('skill_id', '=', byName.get(skillName(s)) ?? '')
        .where('state', '=', 'queued')
        .orderBy('queued_at')
        .orderBy('id')
        .limit(depth)
        .execute();
      return rows.map((r) => r.number);
    }),
  );
}
