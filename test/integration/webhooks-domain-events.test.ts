import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { ADMIN_TOKEN, DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { VirtualTime } from '../support/virtual-time.js';
import { verifyStandardWebhook, WebhookReceiver, type ReceivedWebhook } from '../support/webhook-receiver.js';
import { createEndpoint, longLivedAccount } from './webhooks-support.js';

const SECRET = `whsec_${Buffer.from('a-receiver-secret-of-32-bytes!!!').toString('base64')}`;
const TOUCHPOINT = '+14155550100';
const CUSTOMER = '+13855551234';
const OTHER_CUSTOMER = '+13855559876';
const AGENT_PHONE = '+14155557001';
const SKILL = 'Online Requests';

const END = { id: 'end', type: 'end_flow' };
/** Calls the customer and ends: completed, holding the customer's call when they answered. */
const CALL_AND_END = {
  trigger: { type: 'api', arguments: [{ name: 'customer', variable: 'customer', required: true }] },
  start: 'call',
  components: [
    { id: 'call', type: 'make_outbound_call', config: { from: TOUCHPOINT, to: '{{customer}}' }, exits: { answered: 'end', busy: 'end', no_answer: 'end', invalid_number: 'end' } },
    END,
  ],
};
/** A case the cases domain refuses (closing is automatic), with no `failed` exit wired: the step fails the interaction. */
const REFUSED_CASE = {
  start: 'open',
  components: [{ id: 'open', type: 'create_case', config: { title: 'Outage', status: 'closed' }, exits: { created: 'end' } }, END],
};
const ALWAYS_OPEN = { timezone: 'UTC', schedule: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => [day, [['00:00', '24:00']]])) };
/** A component that leads to itself: the repeat limit fails the interaction without a step. */
const SPINNING = {
  start: 'spin',
  components: [{ id: 'spin', type: 'time_rules', config: ALWAYS_OPEN, exits: { open: 'spin', closed: 'end' } }, END],
};

/** Interaction, callback and continuity events, each published in the transaction of its change and delivered signed. */
describe.each(DATABASES)('interaction, callback and continuity events on webhooks (%s)', (db) => {
  const clock = new ManualClock();
  let receiver: WebhookReceiver;
  let t: TestApp;
  // Flows and callbacks wait on the clock: the worker runs in the background while it moves.
  let time: VirtualTime;
  beforeAll(async () => {
    [receiver, t] = await Promise.all([WebhookReceiver.start(), TestApp.start(db, { clock })]);
    time = new VirtualTime(clock, t.app.worker);
  });
  afterAll(async () => {
    await time.stop();
    await Promise.all([t.close(), receiver.close()]);
  });

  /** An account with an endpoint for `events`, signing with SECRET. */
  async function subscribed(events: string[]): Promise<{ acct: TestAccount; url: string }> {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint();
    await createEndpoint(t, acct, { url, events, secret: SECRET });
    return { acct, url };
  }
  /** What the endpoint received once `count` deliveries arrived, in publication order, each checked for its signature. */
  async function received(url: string, count: number): Promise<ReceivedWebhook['body'][]> {
    await time.until(async () => expect(receiver.at(url)).toHaveLength(count), 120);
    for (const request of receiver.at(url)) expect(verifyStandardWebhook(SECRET, request)).toBe(true);
    return receiver.eventsAt(url);
  }
  /** Lets the worker run whatever else is due, so a delivery that should not exist would have arrived. */
  const settle = () => time.pass(5);

  it('publishes continuity.activated and continuity.deactivated when the switch changes position, not when it is saved in the same one', async () => {
    const { acct, url } = await subscribed(['continuity.*']);
    const activate = async (enabled: boolean) => {
      const response = await t.put('/fallback-experience/activation', { enabled }, acct.token);
      expect(response.status, response.text).toBe(200);
      return response.body as Record<string, unknown>;
    };
    await activate(false);
    const on = await activate(true);
    clock.advance(1000);
    await activate(true);
    clock.advance(1000);
    const off = await activate(false);
    await settle();

    const events = await received(url, 2);
    expect(events.map((e) => e.type)).toEqual(['continuity.activated', 'continuity.deactivated']);
    expect(events[0]?.data).toEqual({ enabled: true, changed_at: on.changed_at, changed_by: on.changed_by });
    expect(events[1]?.data).toEqual((await t.get('/fallback-experience/activation', acct.token)).body);
    expect(events[1]?.data).toEqual(off);
    // A save in the position the switch is in changes nothing, so only the two switches are audited.
    expect((await t.get('/fallback-experience/audit', acct.token)).body.total).toBe(2);
  });

  it('publishes one continuity.activated for two concurrent switches on (one of them finds it on already)', async () => {
    const { acct, url } = await subscribed(['continuity.activated']);
    const switches = await Promise.all([1, 2].map(() => t.put('/fallback-experience/activation', { enabled: true }, acct.token)));
    expect(switches.map((s) => s.status)).toEqual([200, 200]);
    await settle();
    expect((await received(url, 1)).map((e) => e.data.enabled)).toEqual([true]);
  });

  it('publishes interaction.completed and interaction.failed (a failing step, a limit) with the ids, status, reason and times; a simulation publishes nothing', async () => {
    const { acct, url } = await subscribed(['interaction.*']);
    expect((await t.post('/numbers', { number: TOUCHPOINT, name: 'Main line' }, acct.token)).status).toBe(201);
    expect((await t.patch(`/admin/accounts/${acct.id}/limits`, { flows_interactions_per_second: 1000 }, ADMIN_TOKEN)).status).toBe(200);
    expect((await t.put(`/sim/phones/${CUSTOMER}`, { behavior: 'answer', answer_after_s: 1, talk_s: 5 }, acct.token)).status).toBe(200);
    const publish = async (definition: unknown) => {
      const flow = await t.post('/flows', { name: 'Events', definition }, acct.token);
      expect(flow.status, flow.text).toBe(201);
      expect((await t.post(`/flows/${flow.body.id}/publish`, undefined, acct.token)).status).toBe(201);
      return flow.body.id as string;
    };
    const run = async (flowId: string, args: Record<string, string> = {}) => {
      const started = await t.post(`/flows/${flowId}/interactions`, args, acct.token);
      expect(started.status, started.text).toBe(202);
      const id = started.body.interaction_id as string;
      return time.until(async () => {
        const interaction = (await t.get(`/interactions/${id}`, acct.token)).body;
        expect(interaction.status).not.toBe('running');
        return interaction as Record<string, any>;
      }, 120);
    };
    const identity = (interaction: Record<string, any>) => {
      const { interaction_id, flow_id, flow_version_id, flow_execution_id, status, reason, created_at, ended_at } = interaction;
      return { interaction_id, flow_id, flow_version_id, flow_execution_id, status, reason, created_at, ended_at, version: 1 };
    };

    const completed = await run(await publish(CALL_AND_END), { customer: CUSTOMER });
    const refusedFlow = await publish(REFUSED_CASE);
    const refused = await run(refusedFlow);
    const spun = await run(await publish(SPINNING));
    expect([completed.status, refused.status, spun.status]).toEqual(['completed', 'failed', 'failed']);
    const simulated = await t.post(`/flows/${refusedFlow}/simulate`, { version: 1 }, acct.token);
    expect(simulated.body.status, simulated.text).toBe('failed');
    await settle();

    const events = await received(url, 3);
    expect(events.map((e) => e.type)).toEqual(['interaction.completed', 'interaction.failed', 'interaction.failed']);
    const customerLeg = (await t.get('/calls?per_page=50', acct.token)).body._embedded.calls.find((c: { kind: string }) => c.kind === 'flow_call');
    expect(events[0]?.data).toEqual({ ...identity(completed), reason: null, call_id: customerLeg.call_id });
    expect(events[1]?.data).toEqual({ ...identity(refused), call_id: null });
    expect(events[1]?.data.reason).toMatch(/^open: the case was refused/);
    expect(events[2]?.data).toEqual({ ...identity(spun), reason: 'component spin ran 10 times in a row', call_id: null });
  });

  it('publishes callback.queued for a new request (not its repeat), callback.connected, and callback.failed; a cancelled callback is not failed', async () => {
    const { acct, url } = await subscribed(['callback.*']);
    expect((await t.post('/skills', { name: SKILL }, acct.token)).status).toBe(201);
    expect((await t.put(`/sim/phones/${CUSTOMER}`, { behavior: 'answer', answer_after_s: 1, talk_s: 5 }, acct.token)).status).toBe(200);
    expect((await t.put(`/sim/phones/${OTHER_CUSTOMER}`, { behavior: 'invalid' }, acct.token)).status).toBe(200);
    const request = async (number: string) => expect((await t.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: number }, acct.token)).status).toBe(204);
    const callbacks = async () => (await t.get('/callbacks?per_page=50', acct.token)).body._embedded.callbacks as Record<string, any>[];
    const byNumber = async (number: string) => (await callbacks()).find((c) => c.callback_number === number) ?? {};

    // Nobody is available yet: the first request waits in the queue and is cancelled there.
    await request(CUSTOMER);
    const cancelled = await byNumber(CUSTOMER);
    expect((await t.delete(`/callbacks/${cancelled.id}`, acct.token)).status).toBe(204);
    clock.advance(1000);
    await request(CUSTOMER);
    await request(CUSTOMER);
    const agent = (await t.post('/agents', { name: 'Ana', skills: [SKILL], status: 'available', phone: AGENT_PHONE }, acct.token)).body as { id: string };
    await time.until(async () => expect((await callbacks()).map((c) => c.state).sort()).toEqual(['cancelled', 'completed']), 120);
    await request(OTHER_CUSTOMER);
    await time.until(async () => expect((await byNumber(OTHER_CUSTOMER)).state).toBe('failed'), 120);
    await settle();

    const events = await received(url, 5);
    expect(events.map((e) => `${e.type}:${e.data.callback_number}`)).toEqual([
      `callback.queued:${CUSTOMER}`, `callback.queued:${CUSTOMER}`, `callback.connected:${CUSTOMER}`, `callback.queued:${OTHER_CUSTOMER}`, `callback.failed:${OTHER_CUSTOMER}`,
    ]);
    const [queued, requeued, connected, queuedOther, failed] = events.map((e) => e.data);
    expect(queued).toMatchObject({ id: cancelled.id, skill: SKILL, state: 'queued', requests: 1, attempts: [] });
    const completed = await byNumber(CUSTOMER);
    expect(requeued).toMatchObject({ id: completed.id, state: 'queued', requests: 1 });
    expect(connected).toMatchObject({ id: completed.id, skill: SKILL, state: 'connected', agent_id: agent.id, requests: 2, attempts: [] });
    expect(queuedOther).toMatchObject({ state: 'queued' });
    // The data is the callback as the API shows it once it failed.
    expect(failed).toEqual(await byNumber(OTHER_CUSTOMER));
    expect(failed?.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['invalid_number']);
  });
});
