import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { ADMIN_TOKEN, DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { eventually } from '../support/eventually.js';
import { IsolatedSchema } from '../support/isolated-schema.js';
import { ServerProcess } from '../support/server-process.js';
import { VirtualTime } from '../support/virtual-time.js';

const TOUCHPOINT = '+14155550100';
const CUSTOMER = '+13855550101';
const GREETING = 'Hello, this is your gold service line.';
// Long enough (25 words, 10 s on the simulated network) for the node to die while it is being said.
const MENU_PROMPT = 'We are calling about the appointment you booked with our installation team for next week. Press 1 to confirm it, or press 2 if you need another date.';
const THANKS = 'Thank you, see you then.';
const OFFICE_HOURS = ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => [day, [['08:00', '18:00']]]);

const dial = (answered: string) => ({ id: 'call', type: 'make_outbound_call', config: { from: TOUCHPOINT, to: '{{customer_number}}', ring_timeout_s: 30 }, exits: { answered, invalid_number: 'end', busy: 'end', no_answer: 'end' } });
const say = (id: string, text: string, next: string) => ({ id, type: 'play_audio', config: { tts: { text, language: 'en-US' } }, exits: { next } });
const END = { id: 'end', type: 'end_flow' };
const GOLD_ONLY = { id: 'route', type: 'conditional_statement', config: { conditions: [{ exit: 'gold', all: [{ variable: 'tier', op: 'eq', value: 'gold' }] }] }, exits: { gold: 'hours', default: 'end' } };
const ARGUMENTS = [{ name: 'customer', variable: 'customer_number', required: true }, { name: 'tier', required: true }];

/** Two decisions, then a call the customer takes a while to answer, a message and the end. */
const RING_FIRST = {
  trigger: { type: 'api', arguments: ARGUMENTS },
  start: 'route',
  components: [
    GOLD_ONLY,
    { id: 'hours', type: 'time_rules', config: { timezone: 'UTC', schedule: Object.fromEntries(OFFICE_HOURS) }, exits: { open: 'call', closed: 'end' } },
    dial('greet'),
    say('greet', GREETING, 'end'),
    END,
  ],
};

/** A call answered at once, a message, then a menu waiting for the customer's key. */
const MENU = {
  trigger: { type: 'api', arguments: ARGUMENTS },
  start: 'call',
  components: [
    dial('greet'),
    say('greet', GREETING, 'menu'),
    { id: 'menu', type: 'standard_ivr', config: { prompt: { tts: { text: MENU_PROMPT, language: 'en-US' } }, options: { '1': 'confirm', '2': 'decline' }, timeout_s: 10, max_attempts: 1 }, exits: { confirm: 'thanks', decline: 'end', timeout: 'end', invalid: 'end' } },
    say('thanks', THANKS, 'end'),
    END,
  ],
};

/** An interaction, its steps and a call as GET /interactions/{id} and GET /calls report them. */
interface StepView {
  component: string;
  type: string;
  exit: string | null;
  started_at: string;
  ended_at: string;
  detail: Record<string, unknown>;
}
interface InteractionView {
  status: string;
  current: string | null;
  reason: string | null;
  variables: Record<string, string>;
  steps: StepView[];
}
interface CallView {
  id: string;
  kind: string | null;
  to: string;
  outcome: string | null;
  ended_at: string | null;
  events: { type: string; text?: string; digits?: string }[];
}

const path = (steps: StepView[]) => steps.map((s) => `${s.component}:${s.exit ?? '-'}`);
const callIdOf = (step: StepView | undefined): string => {
  const id = step?.detail.call_id;
  if (typeof id !== 'string') throw new Error(`step ${step?.component ?? '(none)'} names no call`);
  return id;
};

describe.each(DATABASES)('flow interactions survive a node restart (%s)', (db) => {
  // Its own database (or schema): the first node dies holding a flow.run job, which no other test's worker may touch.
  let url: string;
  let schema: IsolatedSchema | undefined;
  beforeAll(async () => {
    if (db === 'postgres') {
      schema = await IsolatedSchema.create();
      url = schema.url;
    } else {
      url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'switchboard-flows-restart-')), 'test.db')}`;
    }
  });

  /** An account with the touchpoint number, its flow published, the customer's phone scripted, and the interaction started. */
  async function started(t: TestApp, definition: unknown, phone: Record<string, unknown>): Promise<{ acct: TestAccount; id: string }> {
    const acct = await t.newAccount();
    expect((await t.post('/numbers', { number: TOUCHPOINT, name: 'Main line' }, acct.token)).status).toBe(201);
    const flow = await t.post('/flows', { name: 'Appointments', definition }, acct.token);
    expect(flow.status, JSON.stringify(flow.body)).toBe(201);
    const version = await t.post(`/flows/${flow.body.id}/publish`, undefined, acct.token);
    expect(version.status, JSON.stringify(version.body)).toBe(201);
    expect((await t.put(`/sim/phones/${CUSTOMER}`, phone, acct.token)).status).toBe(200);
    const start = await t.post(`/flows/${flow.body.id}/interactions`, { customer: CUSTOMER, tier: 'gold' }, acct.token);
    expect(start.status, JSON.stringify(start.body)).toBe(202);
    return { acct, id: start.body.interaction_id as string };
  }
  const interaction = async (t: TestApp, acct: TestAccount, id: string) => (await t.get<InteractionView>(`/interactions/${id}`, acct.token)).body;
  const customerLegs = async (t: TestApp, acct: TestAccount) =>
    ((await t.get('/calls?per_page=100', acct.token)).body._embedded.calls as CallView[]).filter((c) => c.kind === 'flow_call' && c.to === CUSTOMER);

  /** The node that takes over: same database, its clock going on from where the dead node's stopped. */
  async function nextNode(firstClock: ManualClock): Promise<{ second: TestApp; time: VirtualTime }> {
    const clock = new ManualClock(firstClock.now().getTime());
    const second = await TestApp.start(db, { clock }, { DATABASE_URL: url });
    return { second, time: new VirtualTime(clock, second.app.worker) };
  }

  it('resumes at the make_outbound_call that was ringing when the node died, without running the steps before it again', async () => {
    const firstClock = new ManualClock();
    const first = await TestApp.start(db, { clock: firstClock }, { DATABASE_URL: url });
    const firstTime = new VirtualTime(firstClock, first.app.worker);
    // The customer takes 20 s to answer: the node dies while the phone rings.
    const { acct, id } = await started(first, RING_FIRST, { behavior: 'answer', answer_after_s: 20 });
    const ringing = await firstTime.until(async () => {
      const now = await interaction(first, acct, id);
      expect(now.current).toBe('call');
      const legs = await customerLegs(first, acct);
      expect(legs.map((leg) => leg.events.map((e) => e.type))).toEqual([['ringing']]);
      return { now, leg: legs[0] };
    }, 10);
    await firstTime.pass(5);
    const before = await interaction(first, acct, id);
    expect(before).toMatchObject({ status: 'running', current: 'call' });
    expect(path(before.steps)).toEqual(['route:gold', 'hours:open']);
    const diedAt = firstClock.now().toISOString();
    // The node goes away mid-ring: its flow.run job is abandoned to its lease, the phone still ringing.
    await first.close();

    const { second, time } = await nextNode(firstClock);
    try {
      // Until the dead node's claim runs out, nothing moves.
      await time.pass(5);
      expect(await interaction(second, acct, id)).toMatchObject({ status: 'running', current: 'call', steps: before.steps });
      const done = await time.until(async () => {
        const now = await interaction(second, acct, id);
        expect(now.status).toBe('completed');
        return now;
      }, 120);
      expect(done.reason).toBeNull();
      expect(done.current).toBeNull();
      expect(path(done.steps)).toEqual(['route:gold', 'hours:open', 'call:answered', 'greet:next', 'end:-']);
      // The steps from before the crash are the same records, not runs of their own on the second node.
      expect(done.steps.slice(0, 2)).toEqual(before.steps);
      // The interrupted ring left no step: the one make_outbound_call step is the second node's dial.
      const call = done.steps[2];
      expect((call?.started_at ?? '') > diedAt).toBe(true);
      expect(call?.detail).toMatchObject({ from: TOUCHPOINT, to: CUSTOMER, outcome: 'answered' });
      expect(done.steps[3]?.detail).toMatchObject({ text: GREETING });
      expect(done.variables).toMatchObject({ customer_number: CUSTOMER, tier: 'gold', contact_number: CUSTOMER, touchpoint_number: TOUCHPOINT });

      // The customer was dialled again, and the call the flow held is that second leg.
      const legs = await customerLegs(second, acct);
      expect(legs).toHaveLength(2);
      const held = legs.find((leg) => leg.id === callIdOf(call));
      expect(held?.id).not.toBe(ringing.leg?.id);
      expect(held).toMatchObject({ outcome: 'completed' });
      expect(held?.events.map((e) => e.type)).toEqual(['ringing', 'answered', 'played', 'hangup']);
      // The leg the dead node was ringing is closed, not left ringing forever.
      const interrupted = legs.find((leg) => leg.id === ringing.leg?.id);
      expect(interrupted).toMatchObject({ outcome: 'failed' });
      expect(interrupted?.ended_at).not.toBeNull();
      expect(interrupted?.events.map((e) => e.type)).toEqual(['ringing', 'failed']);
    } finally {
      await time.stop();
      await second.close();
    }
  }, 90_000);

  it('resumes at the menu the customer was listening to, on the call the interaction holds, and finishes the flow', async () => {
    const firstClock = new ManualClock();
    const first = await TestApp.start(db, { clock: firstClock }, { DATABASE_URL: url });
    const firstTime = new VirtualTime(firstClock, first.app.worker);
    // The customer answers at once and presses 1 once the menu has been said.
    const { acct, id } = await started(first, MENU, { behavior: 'answer', answer_after_s: 2, dtmf: '1' });
    await firstTime.until(async () => expect((await interaction(first, acct, id)).current).toBe('menu'), 30);
    // The node dies a few seconds into the menu's prompt.
    await firstTime.pass(3);
    const before = await interaction(first, acct, id);
    expect(before).toMatchObject({ status: 'running', current: 'menu' });
    expect(path(before.steps)).toEqual(['call:answered', 'greet:next']);
    const callId = callIdOf(before.steps[0]);
    // The answered call is part of the interaction's state, written with the step that answered it.
    const row = await first.services.storage.db.selectFrom('interactions').select('call').where('account_id', '=', acct.id).where('id', '=', id).executeTakeFirstOrThrow();
    expect(JSON.parse(row.call ?? 'null')).toEqual({ call_id: callId, contact_number: CUSTOMER, touchpoint_number: TOUCHPOINT });
    const diedAt = firstClock.now().toISOString();
    await first.close();

    const { second, time } = await nextNode(firstClock);
    try {
      const done = await time.until(async () => {
        const now = await interaction(second, acct, id);
        expect(now.status).toBe('completed');
        return now;
      }, 120);
      expect(path(done.steps)).toEqual(['call:answered', 'greet:next', 'menu:confirm', 'thanks:next', 'end:-']);
      expect(done.steps.slice(0, 2)).toEqual(before.steps);
      const menu = done.steps[2];
      expect((menu?.started_at ?? '') > diedAt).toBe(true);
      expect(menu?.detail).toMatchObject({ text: MENU_PROMPT, digits: '1', attempts: 1 });

      // Not dialled again: the second node said the menu on the held call and ended it.
      const legs = await customerLegs(second, acct);
      expect(legs.map((leg) => leg.id)).toEqual([callId]);
      expect(legs[0]).toMatchObject({ outcome: 'completed' });
      // The prompt the first node had begun is logged, then said again in full by the second.
      expect(legs[0]?.events.map((e) => (e.type === 'played' ? `played:${e.text ?? ''}` : e.type === 'dtmf' ? `dtmf:${e.digits ?? ''}` : e.type))).toEqual([
        'ringing', 'answered', `played:${GREETING}`, `played:${MENU_PROMPT}`, `played:${MENU_PROMPT}`, 'dtmf:1', `played:${THANKS}`, 'hangup',
      ]);
    } finally {
      await time.stop();
      await second.close();
    }
  }, 90_000);
});

const postgresUrl = inject('postgresUrl');

// Two processes on one database only exists on PostgreSQL (SQLite has one process).
describe.skipIf(!postgresUrl)('a flow interaction survives kill -9 of its server process (PostgreSQL only: set TEST_DATABASE_URL)', () => {
  // Short leases, so the next process takes the dead one's job over within seconds instead of 30.
  const env = { SWITCHBOARD_WORKER: 'true', SWITCHBOARD_JOB_LEASE_S: '2' };
  let schema: IsolatedSchema;
  const nodes: ServerProcess[] = [];
  beforeAll(async () => {
    schema = await IsolatedSchema.create();
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('runs the interaction to its end on a new process after the one ringing the customer is killed', async () => {
    const a = await ServerProcess.start(schema.url, env);
    nodes.push(a);
    const account = await a.call('POST', '/admin/accounts', ADMIN_TOKEN, { name: 'Killed node' });
    const client = await a.call('POST', `/admin/accounts/${account.body.id}/clients`, ADMIN_TOKEN, {
      name: 'tests', scopes: ['directory:write', 'flow-definitions:write', 'flows:read', 'flows-interactions:start', 'telephony:route', 'calls:read'],
    });
    const issued = await a.call('POST', '/oauth/token', undefined, { grant_type: 'client_credentials', client_id: client.body.client_id, client_secret: client.body.client_secret });
    expect(issued.status, JSON.stringify([account.body, client.body, issued.body])).toBe(200);
    const token = issued.body.access_token as string;

    expect((await a.call('POST', '/numbers', token, { number: TOUCHPOINT, name: 'Main line' })).status).toBe(201);
    // Real time here: the flow leaves out the time rules, which would depend on when the test runs.
    const definition = { trigger: { type: 'api', arguments: ARGUMENTS }, start: 'route', components: [{ ...GOLD_ONLY, exits: { gold: 'call', default: 'end' } }, dial('greet'), say('greet', GREETING, 'end'), END] };
    const flow = await a.call('POST', '/flows', token, { name: 'Appointments', definition });
    expect(flow.status, JSON.stringify(flow.body)).toBe(201);
    expect((await a.call('POST', `/flows/${flow.body.id}/publish`, token)).status).toBe(201);
    expect((await a.call('PUT', `/sim/phones/${CUSTOMER}`, token, { behavior: 'answer', answer_after_s: 6 })).status).toBe(200);
    const start = await a.call('POST', `/flows/${flow.body.id}/interactions`, token, { customer: CUSTOMER, tier: 'gold' });
    expect(start.status, JSON.stringify(start.body)).toBe(202);
    const id = start.body.interaction_id as string;

    // The process that took the start request runs the interaction; it is killed while the customer's phone rings.
    const before = await eventually(async () => {
      const now = (await a.call('GET', `/interactions/${id}`, token)).body as InteractionView;
      expect(now.current).toBe('call');
      const legs = ((await a.call('GET', '/calls?per_page=100', token)).body._embedded.calls as CallView[]).filter((c) => c.kind === 'flow_call' && c.to === CUSTOMER);
      expect(legs.map((leg) => leg.events.map((e) => e.type))).toEqual([['ringing']]);
      return now;
    }, 5000, 50);
    expect(path(before.steps)).toEqual(['route:gold']);
    const diedAt = new Date().toISOString();
    await a.kill();

    const b = await ServerProcess.start(schema.url, env);
    nodes.push(b);
    const done = await eventually(async () => {
      const now = (await b.call('GET', `/interactions/${id}`, token)).body as InteractionView;
      expect(now.status).toBe('completed');
      return now;
    }, 60_000, 250);
    expect(path(done.steps)).toEqual(['route:gold', 'call:answered', 'greet:next', 'end:-']);
    expect(done.steps[0]).toEqual(before.steps[0]);
    expect((done.steps[1]?.started_at ?? '') > diedAt).toBe(true);
    const held = (await b.call('GET', `/calls/${callIdOf(done.steps[1])}`, token)).body as CallView;
    expect(held).toMatchObject({ to: CUSTOMER, outcome: 'completed' });
    expect(held.events.map((e) => e.type)).toEqual(['ringing', 'answered', 'played', 'hangup']);
    const legs = ((await b.call('GET', '/calls?per_page=100', token)).body._embedded.calls as CallView[]).filter((c) => c.kind === 'flow_call' && c.to === CUSTOMER);
    expect(legs.map((leg) => leg.outcome).sort()).toEqual(['completed', 'failed']);
  }, 90_000);
});
