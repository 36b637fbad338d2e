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
});
