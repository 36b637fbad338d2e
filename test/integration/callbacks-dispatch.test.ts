import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { VirtualTime } from '../support/virtual-time.js';

const SKILL = 'Online Requests';
const CUSTOMER = '+13855551234';
const AGENT_PHONE = '+14155557001';

/**
 * Every test here drives the one app's worker; no other test file enqueues callback jobs for
 * accounts with agents, so sharing a PostgreSQL schema cannot make two files race for them.
 */
describe.each(DATABASES)('callback dispatch (%s)', (db) => {
  let t: TestApp;
  let time: VirtualTime;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
    time = new VirtualTime(clock, t.app.worker);
  });
  afterAll(async () => {
    await time.stop();
    await t.close();
  });

  async function account(skill: Record<string, unknown> = {}): Promise<TestAccount> {
    const acct = await t.newAccount();
    expect((await t.post('/skills', { name: SKILL, retry_delay_s: 60, ...skill }, acct.token)).status).toBe(201);
    // wait_in_queue dials only while someone with the skill is at work: an agent busy elsewhere.
    if (skill.callback_strategy === 'wait_in_queue') await t.post('/agents', { name: 'On another call', skills: [SKILL], status: 'busy', phone: '+14155557999' }, acct.token);
    return acct;
  }
  const agent = async (acct: TestAccount, fields: Record<string, unknown> = {}) =>
    (await t.post('/agents', { name: 'Ana', skills: [SKILL], status: 'available', phone: AGENT_PHONE, ...fields }, acct.token)).body as { id: string };
  const request = async (acct: TestAccount, number = CUSTOMER) => expect((await t.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: number }, acct.token)).status).toBe(204);
  const script = async (acct: TestAccount, number: string, behaviour: Record<string, unknown>) => expect((await t.put(`/sim/phones/${number}`, behaviour, acct.token)).status).toBe(200);
  const callbacks = async (acct: TestAccount) => (await t.get('/callbacks?per_page=500', acct.token)).body._embedded.callbacks as Record<string, any>[];
  const only = async (acct: TestAccount) => {
    const [callback] = await callbacks(acct);
    if (!callback) throw new Error('no callback');
    return callback;
  };
  const stateIs = (acct: TestAccount, state: string) => async () => {
    const callback = await only(acct);
    expect(callback.state).toBe(state);
    return callback;
  };
  /** A wait_in_queue account whose customer pressed 1 and holds on the line, with no agent available. */
  async function customerHolding(): Promise<TestAccount> {
    const acct = await account({ callback_strategy: 'wait_in_queue' });
    await script(acct, CUSTOMER, { dtmf: '1' });
    await request(acct);
    await time.until(async () => {
      const leg = (await calls(acct)).find((c) => c.kind === 'callback_leg' && c.to === CUSTOMER);
      expect(leg?.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'answered', 'played', 'dtmf', 'queued']);
    }, 60);
    return acct;
  }
  const agentStatus = async (acct: TestAccount, id: string) => (await t.get(`/agents/${id}`, acct.token)).body.status as string;
  const calls = async (acct: TestAccount) => (await t.get('/calls?per_page=500', acct.token)).body._embedded.calls as Record<string, any>[];

  it('reserve_agent: reserves the available agent, dials the customer, bridges both legs, then frees the agent', async () => {
    const acct = await account();
    const ana = await agent(acct);
    await script(acct, CUSTOMER, { behavior: 'answer', answer_after_s: 2, talk_s: 30 });
    await request(acct);

    const connected = await time.until(stateIs(acct, 'connected'), 120);
    expect(connected.agent_id).toBe(ana.id);
    expect(await agentStatus(acct, ana.id)).toBe('busy');

    const completed = await time.until(stateIs(acct, 'completed'), 120);
    expect(completed.attempts).toEqual([{ at: expect.any(String), outcome: 'answered', agent_id: ana.id, call_id: expect.any(String) }]);
    expect(await agentStatus(acct, ana.id)).toBe('available');

    const log = await calls(acct);
    const customerLeg = log.find((c) => c.kind === 'callback_leg' && c.to === CUSTOMER);
    const agentLeg = log.find((c) => c.kind === 'callback_leg' && c.to === AGENT_PHONE);
    const bridge = log.find((c) => c.kind === 'callback_bridge');
    expect(customerLeg).toMatchObject({ direction: 'outbound', skill: SKILL, outcome: 'completed', call_id: completed.attempts[0].call_id });
    expect(customerLeg?.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'answered', 'played', 'bridged', 'hangup']);
    expect(customerLeg?.events[2]).toMatchObject({ text: 'Hello, this is the callback you requested from us.', language: 'en-US' });
    expect(agentLeg).toMatchObject({ direction: 'outbound', skill: SKILL, outcome: 'completed' });
    expect(bridge).toMatchObject({ from: CUSTOMER, to: AGENT_PHONE, skill: SKILL, outcome: 'completed' });
    // talk_s of virtual time; the harness may move the clock a second while the bridge is being logged.
    expect(Date.parse(bridge?.ended_at) - Date.parse(bridge?.started_at)).toBeGreaterThanOrEqual(30_000);
    expect(Date.parse(bridge?.ended_at) - Date.parse(bridge?.started_at)).toBeLessThanOrEqual(31_000);
  });

  it('waits while nobody with the skill is available, and dials when an agent becomes available', async () => {
    const acct = await account();
    await t.post('/skills', { name: 'Billing' }, acct.token);
    await agent(acct, { skills: ['Billing'] });
    const away = await agent(acct, { status: 'away' });
    await request(acct);
    await time.pass(20);
    expect((await only(acct)).state).toBe('queued');

    expect((await t.put(`/agents/${away.id}/status`, { status: 'available' }, acct.token)).status).toBe(200);
    const done = await time.until(stateIs(acct, 'completed'), 200);
    expect(done.agent_id).toBe(away.id);
    expect(await agentStatus(acct, away.id)).toBe('available');
  });

  it('hands callbacks out in arrival order (FIFO per skill)', async () => {
    const acct = await account();
    const numbers = ['+13855551001', '+13855551002', '+13855551003'];
    for (const number of numbers) await script(acct, number, { talk_s: 5 });
    for (const number of numbers) {
      await request(acct, number);
      clock.advance(1000);
    }
    await agent(acct);
    await time.until(async () => {
      const all = await callbacks(acct);
      expect(all.map((c) => c.state)).toEqual(['completed', 'completed', 'completed']);
    }, 300);
    const order = (await callbacks(acct))
      .sort((a, b) => a.attempts[0].at.localeCompare(b.attempts[0].at))
      .map((c) => c.callback_number);
    expect(order).toEqual(numbers);
  });

  it('retries a busy or unanswered customer after retry_delay_s, then fails after max_attempts', async () => {
    const acct = await account({ max_attempts: 3, retry_delay_s: 60 });
    const ana = await agent(acct);
    await script(acct, CUSTOMER, { behavior: 'busy' });
    await request(acct);

    const first = await time.until(async () => {
      const callback = await only(acct);
      expect(callback.attempts).toHaveLength(1);
      return callback;
    }, 60);
    expect(first).toMatchObject({ state: 'queued', agent_id: null });
    expect(first.attempts[0]).toMatchObject({ outcome: 'busy', agent_id: ana.id });
    expect(Date.parse(first.next_attempt_at) - Date.parse(first.attempts[0].at)).toBe(60_000);
    expect(await agentStatus(acct, ana.id)).toBe('available');

    await script(acct, CUSTOMER, { behavior: 'no_answer' });
    const failed = await time.until(stateIs(acct, 'failed'), 400);
    expect(failed.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['busy', 'no_answer', 'no_answer']);
    // Unserved, it holds no agent; each attempt still names the agent it held.
    expect(failed.agent_id).toBeNull();
    expect(failed.attempts.map((a: { agent_id: string }) => a.agent_id)).toEqual([ana.id, ana.id, ana.id]);
    expect(await agentStatus(acct, ana.id)).toBe('available');
    await time.pass(120);
    expect((await only(acct)).attempts).toHaveLength(3);
  });

  it('fails an invalid number at once without retrying', async () => {
    const acct = await account();
    await agent(acct);
    await script(acct, CUSTOMER, { behavior: 'invalid' });
    await request(acct);
    const failed = await time.until(stateIs(acct, 'failed'), 60);
    expect(failed.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['invalid_number']);
    const leg = (await calls(acct)).find((c) => c.kind === 'callback_leg');
    expect(leg).toMatchObject({ to: CUSTOMER, outcome: 'invalid_number' });
  });

  it("plays the admin's own announcement when it is written in another language than the skill's", async () => {
    const announcements = { 'en-GB': { greeting: 'Hello from the Lisbon team.', prompt: 'Press 1 to talk to us.' } };
    const acct = await account({ callback_strategy: 'wait_in_queue', language: 'pt-PT', announcements });
    await script(acct, CUSTOMER, { dtmf: '3' });
    await request(acct);
    const leg = await time.until(async () => {
      const found = (await calls(acct)).find((c) => c.kind === 'callback_leg' && c.to === CUSTOMER);
      expect(found?.events.map((e: { type: string }) => e.type)).toContain('played');
      return found;
    }, 60);
    expect(leg?.events.find((e: { type: string }) => e.type === 'played')).toMatchObject({ text: 'Hello from the Lisbon team. Press 1 to talk to us.', language: 'en-GB' });
  });

  it('wait_in_queue: plays the announcement in the skill language; 1 connects to the next available agent', async () => {
    const announcements = { 'pt-PT': { greeting: 'Olá, é a chamada que pediu.', prompt: 'Prima 1 para falar com um agente, 2 para adiar, 3 para cancelar.' } };
    const acct = await account({ callback_strategy: 'wait_in_queue', language: 'pt-PT', announcements });
    await script(acct, CUSTOMER, { dtmf: '1', talk_s: 10 });
    await request(acct);
    const holding = await time.until(async () => {
      const leg = (await calls(acct)).find((c) => c.kind === 'callback_leg' && c.to === CUSTOMER);
      expect(leg?.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'answered', 'played', 'dtmf', 'queued']);
      return leg;
    }, 60);
    expect(holding?.events[2]).toMatchObject({ text: `${announcements['pt-PT'].greeting} ${announcements['pt-PT'].prompt}`, language: 'pt-PT' });
    expect(holding?.events[3]).toMatchObject({ digits: '1' });
    expect((await only(acct)).state).toBe('dialing');

    const ana = await agent(acct);
    const done = await time.until(stateIs(acct, 'completed'), 120);
    expect(done.agent_id).toBe(ana.id);
    const customerLegs = (await calls(acct)).filter((c) => c.kind === 'callback_leg' && c.to === CUSTOMER);
    expect(customerLegs).toHaveLength(1);
    expect(customerLegs[0]?.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'answered', 'played', 'dtmf', 'queued', 'bridged', 'hangup']);
  });

  it('wait_in_queue: dials nobody while no agent with the skill is at work', async () => {
    const acct = await t.newAccount();
    expect((await t.post('/skills', { name: SKILL, callback_strategy: 'wait_in_queue' }, acct.token)).status).toBe(201);
    const off = (await t.post('/agents', { name: 'Off duty', skills: [SKILL], status: 'offline', phone: AGENT_PHONE }, acct.token)).body as { id: string };
    await script(acct, CUSTOMER, { dtmf: '1', talk_s: 5 });
    await request(acct);
    await time.pass(60);
    expect((await only(acct)).state).toBe('queued');
    expect((await calls(acct)).filter((c) => c.kind === 'callback_leg')).toEqual([]);
    // The agent comes to work: the queue wakes, the customer is dialled and connected to them.
    expect((await t.put(`/agents/${off.id}/status`, { status: 'available' }, acct.token)).status).toBe(200);
    const done = await time.until(stateIs(acct, 'completed'), 120);
    expect(done.agent_id).toBe(off.id);
  });

  it('wait_in_queue: lets a customer go after 10 minutes on hold and calls them back later (hold_timeout)', async () => {
    const acct = await customerHolding();
    await time.pass(590);
    expect((await only(acct)).state).toBe('dialing');
    const requeued = await time.until(stateIs(acct, 'queued'), 30);
    expect(requeued.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['hold_timeout']);
    const leg = (await calls(acct)).find((c) => c.kind === 'callback_leg' && c.to === CUSTOMER);
    expect(leg).toMatchObject({ outcome: 'completed', ended_at: expect.any(String) });
    expect(leg?.events.at(-1)).toMatchObject({ type: 'hangup', by: 'platform' });
  });

  it('wait_in_queue: 2 snoozes to the back of the queue, 3 cancels', async () => {
    const acct = await account({ callback_strategy: 'wait_in_queue' });
    const other = '+13855559999';
    await script(acct, CUSTOMER, { dtmf: '2' });
    await script(acct, other, { dtmf: '3' });
    await request(acct, CUSTOMER);
    clock.advance(1000);
    await request(acct, other);
    await time.until(async () => {
      const all = await callbacks(acct);
      const snoozed = all.find((c) => c.callback_number === CUSTOMER);
      const cancelled = all.find((c) => c.callback_number === other);
      expect(cancelled?.state).toBe('cancelled');
      expect(cancelled?.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['cancelled']);
      expect(snoozed?.attempts[0]?.outcome).toBe('snoozed');
      // Snoozed to the back: queued again behind the callback requested after it, and not dialled again before the retry delay.
      expect(snoozed?.state).toBe('queued');
      expect(Date.parse(snoozed?.queued_at)).toBeGreaterThan(Date.parse(cancelled?.created_at));
      expect(Date.parse(snoozed?.next_attempt_at) - Date.parse(snoozed?.attempts[0]?.at)).toBe(60_000);
    }, 120);
    // The snoozed customer is called again once the delay has passed, and does not count as a used attempt.
    await script(acct, CUSTOMER, { dtmf: '3' });
    const again = await time.until(async () => {
      const snoozed = (await callbacks(acct)).find((c) => c.callback_number === CUSTOMER);
      expect(snoozed?.state).toBe('cancelled');
      return snoozed;
    }, 120);
    expect(again?.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['snoozed', 'cancelled']);
    const played = (await calls(acct)).find((c) => c.kind === 'callback_leg')?.events.find((e: { type: string }) => e.type === 'played');
    expect(played).toMatchObject({ language: 'en-US', text: expect.stringContaining('Press 1') });
  });

  it('lets a customer snooze three times for free, then counts each snooze as an attempt until the skill\'s max_attempts ends the callback', async () => {
    const acct = await account({ callback_strategy: 'wait_in_queue', max_attempts: 2, retry_delay_s: 10 });
    // Every call, the customer presses 2 (call me later).
    await script(acct, CUSTOMER, { dtmf: '2' });
    await request(acct);
    const failed = await time.until(stateIs(acct, 'failed'), 600);
    expect(failed.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['snoozed', 'snoozed', 'snoozed', 'snoozed', 'snoozed']);
    expect(failed.agent_id).toBeNull();
  }, 60_000);

  it("sets an agent who does not answer their phone away and retries the customer with the next agent", async () => {
    const acct = await account({ max_attempts: 3, retry_delay_s: 60 });
    await script(acct, AGENT_PHONE, { behavior: 'no_answer' });
    const missing = await agent(acct);
    await script(acct, CUSTOMER, { talk_s: 5 });
    await request(acct);
    const first = await time.until(async () => {
      const callback = await only(acct);
      expect(callback.attempts).toHaveLength(1);
      return callback;
    }, 120);
    expect(first.attempts[0]).toMatchObject({ outcome: 'agent_unreachable', agent_id: missing.id });
    expect(first.state).toBe('queued');
    expect(await agentStatus(acct, missing.id)).toBe('away');

    const bo = await agent(acct, { name: 'Bo', phone: '+14155557002' });
    const done = await time.until(stateIs(acct, 'completed'), 200);
    expect(done.attempts.map((a: { outcome: string; agent_id: string }) => [a.outcome, a.agent_id])).toEqual([['agent_unreachable', missing.id], ['answered', bo.id]]);
  });

  it('wakes the queue when an available agent is given the skill', async () => {
    const acct = await account();
    await t.post('/skills', { name: 'Billing' }, acct.token);
    const bo = await agent(acct, { skills: ['Billing'] });
    await script(acct, CUSTOMER, { talk_s: 5 });
    await request(acct);
    await time.pass(10);
    expect((await only(acct)).state).toBe('queued');
    expect((await t.patch(`/agents/${bo.id}`, { skills: ['Billing', SKILL] }, acct.token)).status).toBe(200);
    expect((await time.until(stateIs(acct, 'completed'), 120)).agent_id).toBe(bo.id);
  });

  it('wakes the queue when an available agent without a phone is given one', async () => {
    const acct = await account();
    const ana = await agent(acct, { phone: null });
    await script(acct, CUSTOMER, { talk_s: 5 });
    await request(acct);
    await time.pass(10);
    expect((await only(acct)).state).toBe('queued');
    expect((await t.patch(`/agents/${ana.id}`, { phone: AGENT_PHONE }, acct.token)).status).toBe(200);
    expect((await time.until(stateIs(acct, 'completed'), 120)).agent_id).toBe(ana.id);
  });

  it('does not hand an agent set back to available mid-call a second callback until the call ends', async () => {
    const acct = await account();
    const ana = await agent(acct);
    const second = '+13855551002';
    await script(acct, CUSTOMER, { talk_s: 60 });
    await script(acct, second, { talk_s: 5 });
    await request(acct);
    clock.advance(1000);
    await request(acct, second);
    await time.until(async () => expect((await callbacks(acct)).find((c) => c.callback_number === CUSTOMER)?.state).toBe('connected'), 60);

    expect((await t.put(`/agents/${ana.id}/status`, { status: 'available' }, acct.token)).status).toBe(200);
    await time.pass(20);
    expect((await callbacks(acct)).find((c) => c.callback_number === second)?.state).toBe('queued');

    // The first call ends: the agent, available all along, is handed the second callback.
    await time.until(async () => expect((await callbacks(acct)).map((c) => c.state)).toEqual(['completed', 'completed']), 300);
    expect((await callbacks(acct)).every((c) => c.agent_id === ana.id)).toBe(true);
  });

  it('cancels the waiting callbacks of a deleted skill, and lets one already on a call finish without requeueing it', async () => {
    const acct = await account({ max_attempts: 3 });
    const ana = await agent(acct);
    const waiting = '+13855551003';
    await script(acct, CUSTOMER, { behavior: 'no_answer' });
    await request(acct);
    await time.until(stateIs(acct, 'dialing'), 30);
    await t.put(`/agents/${ana.id}/status`, { status: 'offline' }, acct.token);
    await request(acct, waiting);
    const skill = ((await t.get('/skills', acct.token)).body._embedded.skills as { id: string; name: string }[]).find((s) => s.name === SKILL);
    expect((await t.delete(`/skills/${skill?.id ?? ''}`, acct.token)).status).toBe(204);

    await time.until(async () => {
      const all = await callbacks(acct);
      expect(all.find((c) => c.callback_number === waiting)?.state).toBe('cancelled');
      // The unanswered attempt would have gone back to the queue; its skill is gone, so it is cancelled.
      const dialled = all.find((c) => c.callback_number === CUSTOMER);
      expect(dialled?.state).toBe('cancelled');
      expect(dialled?.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['no_answer']);
    }, 120);
  });

  it('lets a customer holding on the line for an agent go when their skill is deleted, cancelling the callback', async () => {
    const acct = await customerHolding();
    const skill = ((await t.get('/skills', acct.token)).body._embedded.skills as { id: string; name: string }[]).find((s) => s.name === SKILL);
    expect((await t.delete(`/skills/${skill?.id ?? ''}`, acct.token)).status).toBe(204);
    const cancelled = await time.until(stateIs(acct, 'cancelled'), 30);
    expect(cancelled.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['cancelled']);
    const leg = (await calls(acct)).find((c) => c.kind === 'callback_leg' && c.to === CUSTOMER);
    expect(leg).toMatchObject({ outcome: 'completed', ended_at: expect.any(String) });
    expect(leg?.events.at(-1)).toMatchObject({ type: 'hangup', by: 'platform' });
  });

  it('refuses to cancel a callback once an agent is held or the customer is dialled (409)', async () => {
    const acct = await account();
    await agent(acct);
    await script(acct, CUSTOMER, { answer_after_s: 20, talk_s: 5 });
    await request(acct);
    const dialing = await time.until(stateIs(acct, 'dialing'), 30);
    const response = await t.delete(`/callbacks/${dialing.id}`, acct.token);
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('conflict');
    await time.until(stateIs(acct, 'completed'), 120);
    expect((await t.delete(`/callbacks/${dialing.id}`, acct.token)).status).toBe(409);
  });

  it('refuses to delete an agent held for a callback until its call has ended (409)', async () => {
    const acct = await account();
    const { id } = await agent(acct);
    await script(acct, CUSTOMER, { answer_after_s: 20, talk_s: 5 });
    await request(acct);
    await time.until(stateIs(acct, 'dialing'), 30);
    const refused = await t.delete(`/agents/${id}`, acct.token);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('held for a callback (dialing)');
    await time.until(stateIs(acct, 'completed'), 120);
    expect((await t.delete(`/agents/${id}`, acct.token)).status).toBe(204);
  });
});
