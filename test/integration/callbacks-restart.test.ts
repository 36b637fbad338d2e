import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CallbackDispatcher } from '../../src/domains/callbacks/index.js';
import { SubscribedEndpoints, WebhookPublisher } from '../../src/domains/webhooks/index.js';
import { createJobQueue } from '../../src/jobs/index.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { IsolatedSchema } from '../support/isolated-schema.js';
import { VirtualTime } from '../support/virtual-time.js';

const SKILL = 'Online Requests';
const AGENT_PHONE = '+14155557001';
const RETRYING = '+13855550001';
const WAITING = '+13855550002';
const RINGING = '+13855550003';
const RESERVED = '+13855550004';
const HOLDING = '+13855550005';
const TALKING = '+13855550006';

const fail = (what: string): never => {
  throw new Error(`${what} is missing`);
};

describe.each(DATABASES)('callbacks survive a node restart (%s)', (db) => {
  // Its own database (or schema): the first node dies holding a job, which no other test's worker may touch.
  let url: string;
  let schema: IsolatedSchema | undefined;
  beforeAll(async () => {
    if (db === 'postgres') {
      schema = await IsolatedSchema.create();
      url = schema.url;
    } else {
      url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'switchboard-restart-')), 'test.db')}`;
    }
  });

  it('resumes queued, retry-pending and mid-dial callbacks on the next node', async () => {
    const firstClock = new ManualClock();
    const first = await TestApp.start(db, { clock: firstClock }, { DATABASE_URL: url });
    const acct: TestAccount = await first.newAccount();
    await first.post('/skills', { name: SKILL, retry_delay_s: 60 }, acct.token);
    const ana = (await first.post('/agents', { name: 'Ana', skills: [SKILL], status: 'available', phone: AGENT_PHONE }, acct.token)).body;
    const byNumber = async (t: TestApp) => {
      const list = (await t.get('/callbacks', acct.token)).body._embedded.callbacks as { callback_number: string; state: string; attempts: { outcome: string; call_id: string | null }[] }[];
      return new Map(list.map((c) => [c.callback_number, c]));
    };

    const firstTime = new VirtualTime(firstClock, first.app.worker);
    // One callback waits to retry after a busy line...
    await first.put(`/sim/phones/${RETRYING}`, { behavior: 'busy' }, acct.token);
    await first.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: RETRYING }, acct.token);
    await firstTime.until(async () => expect((await byNumber(first)).get(RETRYING)?.attempts).toHaveLength(1), 60);
    // ...one is ringing when the node dies, holding the agent...
    await first.put(`/sim/phones/${RINGING}`, { answer_after_s: 25, talk_s: 5 }, acct.token);
    await first.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: RINGING }, acct.token);
    await firstTime.until(async () => expect((await byNumber(first)).get(RINGING)?.state).toBe('dialing'), 30);
    // ...and one queues behind it for the busy agent.
    await first.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: WAITING }, acct.token);
    await firstTime.pass(2);
    expect([...(await byNumber(first)).entries()].map(([n, c]) => [n, c.state]).sort()).toEqual([[RETRYING, 'queued'], [WAITING, 'queued'], [RINGING, 'dialing']].sort());
    // The node goes away mid-call: its dial job is abandoned to its lease.
    await first.close();

    const clock = new ManualClock(firstClock.now().getTime());
    const second = await TestApp.start(db, { clock }, { DATABASE_URL: url });
    const time = new VirtualTime(clock, second.app.worker);
    try {
      await second.put(`/sim/phones/${RETRYING}`, { behavior: 'answer', talk_s: 5 }, acct.token);
      await second.put(`/sim/phones/${RINGING}`, { answer_after_s: 1, talk_s: 5 }, acct.token);
      await second.put(`/sim/phones/${WAITING}`, { talk_s: 5 }, acct.token);
      const done = await time.until(async () => {
        const all = await byNumber(second);
        expect([...all.values()].map((c) => c.state)).toEqual(['completed', 'completed', 'completed']);
        return all;
      }, 600);
      expect(done.get(RETRYING)?.attempts.map((a) => a.outcome)).toEqual(['busy', 'answered']);
      // The call lost with the first node is recorded as interrupted, then retried.
      expect(done.get(RINGING)?.attempts.map((a) => a.outcome)).toEqual(['interrupted', 'answered']);
      // The leg the dead node was ringing is closed in the call log, not left ringing forever.
      const interruptedLeg = (await second.get(`/calls/${done.get(RINGING)?.attempts[0]?.call_id ?? ''}`, acct.token)).body;
      expect(interruptedLeg).toMatchObject({ to: RINGING, outcome: 'failed' });
      expect(interruptedLeg.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'failed']);
      expect(done.get(WAITING)?.attempts.map((a) => a.outcome)).toEqual(['answered']);
      expect((await second.get(`/agents/${ana.id}`, acct.token)).body.status).toBe('available');
    } finally {
      await time.stop();
      await second.close();
    }
  }, 90_000);

  it('dials a callback whose node died between reserving its agent and dialling, once that node\'s claim runs out', async () => {
    const firstClock = new ManualClock();
    const first = await TestApp.start(db, { clock: firstClock }, { DATABASE_URL: url });
    const acct: TestAccount = await first.newAccount();
    await first.post('/skills', { name: SKILL }, acct.token);
    const ana = (await first.post('/agents', { name: 'Ana', skills: [SKILL], status: 'available', phone: AGENT_PHONE }, acct.token)).body;
    await first.put(`/sim/phones/${RESERVED}`, { talk_s: 5 }, acct.token);
    await first.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: RESERVED }, acct.token);
    const skill = (await first.get('/skills', acct.token)).body._embedded.skills[0] as { id: string };

    // The first node dispatches the queue with its own worker attached, and dies at once: the
    // dial job it claimed for itself at the commit is never run (what `kill -9` leaves behind).
    const { storage, directory, calls, network } = first.services;
    const jobs = createJobQueue({ storage, clock: firstClock });
    jobs.attach({ id: 'node-that-died', leaseMs: 30_000, hasRoom: () => true, adopt: () => undefined });
    const dispatcher = new CallbackDispatcher({ storage, clock: firstClock, skills: directory.skills, agents: directory.agents, telephony: network ?? fail('the simulated network'), calls, jobs, events: new WebhookPublisher(firstClock, jobs, new SubscribedEndpoints(storage)) });
    await dispatcher.dispatch(acct.id, skill.id);
    const reserved = (await first.get('/callbacks', acct.token)).body._embedded.callbacks[0];
    expect(reserved).toMatchObject({ state: 'reserved', agent_id: ana.id });
    await first.close();

    const clock = new ManualClock(firstClock.now().getTime());
    const second = await TestApp.start(db, { clock }, { DATABASE_URL: url });
    const time = new VirtualTime(clock, second.app.worker);
    try {
      await time.pass(20);
      expect((await second.get(`/callbacks/${reserved.id}`, acct.token)).body.state).toBe('reserved');
      const done = await time.until(async () => {
        const callback = (await second.get(`/callbacks/${reserved.id}`, acct.token)).body;
        expect(callback.state).toBe('completed');
        return callback;
      }, 120);
      expect(done.attempts.map((a: { outcome: string; agent_id: string }) => [a.outcome, a.agent_id])).toEqual([['answered', ana.id]]);
      const legs = (await second.get('/calls?per_page=100', acct.token)).body._embedded.calls.filter((c: { kind: string; to: string }) => c.kind === 'callback_leg' && c.to === RESERVED);
      expect(legs).toHaveLength(1);
      expect((await second.get(`/agents/${ana.id}`, acct.token)).body.status).toBe('available');
    } finally {
      await time.stop();
      await second.close();
    }
  }, 90_000);

  /** Every call-log record of the account, newest first. */
  const callsOf = async (t: TestApp, acct: TestAccount) =>
    (await t.get('/calls?per_page=100', acct.token)).body._embedded.calls as { id: string; kind: string; to: string; outcome: string | null; ended_at: string | null; events: { type: string }[] }[];

  it('calls back a customer who was holding on the line for an agent when the node died, instead of later joining an agent to the dead call', async () => {
    const firstClock = new ManualClock();
    const first = await TestApp.start(db, { clock: firstClock }, { DATABASE_URL: url });
    const acct: TestAccount = await first.newAccount();
    await first.post('/skills', { name: SKILL, callback_strategy: 'wait_in_queue', retry_delay_s: 10 }, acct.token);
    const ana = (await first.post('/agents', { name: 'Ana', skills: [SKILL], status: 'offline', phone: AGENT_PHONE }, acct.token)).body;
    // wait_in_queue dials only while someone with the skill is at work: an agent busy elsewhere.
    await first.post('/agents', { name: 'On another call', skills: [SKILL], status: 'busy', phone: '+14155557999' }, acct.token);
    await first.put(`/sim/phones/${HOLDING}`, { dtmf: '1', talk_s: 5 }, acct.token);
    await first.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: HOLDING }, acct.token);
    const firstTime = new VirtualTime(firstClock, first.app.worker);
    await firstTime.until(async () => {
      const leg = (await callsOf(first, acct)).find((c) => c.kind === 'callback_leg' && c.to === HOLDING);
      expect(leg?.events.map((e) => e.type)).toEqual(['ringing', 'answered', 'played', 'dtmf', 'queued']);
    }, 60);
    // The node goes away with the customer on hold: the job holding them is left to its lease.
    await first.close();

    const clock = new ManualClock(firstClock.now().getTime());
    const second = await TestApp.start(db, { clock }, { DATABASE_URL: url });
    const time = new VirtualTime(clock, second.app.worker);
    try {
      // An agent comes free at once, before the dead node's lease is out.
      expect((await second.put(`/agents/${ana.id}/status`, { status: 'available' }, acct.token)).status).toBe(200);
      const done = await time.until(async () => {
        const callback = (await second.get('/callbacks', acct.token)).body._embedded.callbacks[0];
        expect(callback.state).toBe('completed');
        return callback as { attempts: { outcome: string; call_id: string }[] };
      }, 600);
      expect(done.attempts.map((a) => a.outcome)).toEqual(['interrupted', 'answered']);
      const legs = (await callsOf(second, acct)).filter((c) => c.kind === 'callback_leg' && c.to === HOLDING);
      expect(legs).toHaveLength(2);
      const lost = legs.find((leg) => leg.id === done.attempts[0]?.call_id);
      expect(lost).toMatchObject({ outcome: 'failed', ended_at: expect.any(String) });
      expect(lost?.events.map((e) => e.type)).toEqual(['ringing', 'answered', 'played', 'dtmf', 'queued', 'failed']);
      // One bridge only: the agent talked to the customer who was called back, not to the lost call.
      expect((await callsOf(second, acct)).filter((c) => c.kind === 'callback_bridge')).toHaveLength(1);
      expect((await second.get(`/agents/${ana.id}`, acct.token)).body.status).toBe('available');
    } finally {
      await time.stop();
      await second.close();
    }
  }, 90_000);

  it('closes every leg of a callback whose node died while the customer and the agent were talking', async () => {
    const firstClock = new ManualClock();
    const first = await TestApp.start(db, { clock: firstClock }, { DATABASE_URL: url });
    const acct: TestAccount = await first.newAccount();
    await first.post('/skills', { name: SKILL }, acct.token);
    const ana = (await first.post('/agents', { name: 'Ana', skills: [SKILL], status: 'available', phone: AGENT_PHONE }, acct.token)).body;
    await first.put(`/sim/phones/${TALKING}`, { talk_s: 600 }, acct.token);
    await first.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: TALKING }, acct.token);
    const firstTime = new VirtualTime(firstClock, first.app.worker);
    await firstTime.until(async () => expect((await first.get('/callbacks', acct.token)).body._embedded.callbacks[0].state).toBe('connected'), 60);
    await firstTime.pass(1);
    await first.close();

    const clock = new ManualClock(firstClock.now().getTime());
    const second = await TestApp.start(db, { clock }, { DATABASE_URL: url });
    const time = new VirtualTime(clock, second.app.worker);
    try {
      await time.until(async () => expect((await second.get('/callbacks', acct.token)).body._embedded.callbacks[0].state).toBe('completed'), 120);
      const legs = (await callsOf(second, acct)).filter((c) => c.kind === 'callback_leg' || c.kind === 'callback_bridge');
      expect(legs.map((leg) => leg.kind).sort()).toEqual(['callback_bridge', 'callback_leg', 'callback_leg']);
      for (const leg of legs) expect(leg, `${leg.kind} to ${leg.to}`).toMatchObject({ outcome: 'failed', ended_at: expect.any(String) });
      expect((await second.get(`/agents/${ana.id}`, acct.token)).body.status).toBe('available');
    } finally {
      await time.stop();
      await second.close();
    }
  }, 90_000);
});
