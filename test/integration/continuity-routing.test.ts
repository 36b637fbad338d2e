import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { eventually } from '../support/eventually.js';

const MAIN = '+14155550100';
const SALES = '+14155550101';
const SUPPORT = '+14155550102';
const CALLER = '+15105550123';
const MESSAGE = { downtime_message: 'We are experiencing an outage. Your call is being redirected.', language: 'en-US' };

describe.each(DATABASES)('inbound-call decisions and the simulated network (%s)', (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  /** The inbound flow of the support line, per account. */
  const supportFlows = new Map<TestAccount, string>();
  const supportFlow = (acct: TestAccount) => supportFlows.get(acct) ?? '';

  async function setUp(settings: Record<string, unknown>, enabled = true): Promise<TestAccount> {
    const acct = await t.newAccount();
    const flow = await t.post('/flows', { name: 'Support', definition: { trigger: { type: 'api', arguments: [] }, start: 'end', components: [{ id: 'end', type: 'end_flow' }] } }, acct.token);
    supportFlows.set(acct, flow.body.id);
    expect((await t.post(`/flows/${flow.body.id}/publish`, {}, acct.token)).status).toBe(201);
    await t.post('/numbers', { number: MAIN, name: 'Main' }, acct.token);
    await t.post('/numbers', { number: SALES, name: 'Sales' }, acct.token);
    expect((await t.post('/numbers', { number: SUPPORT, name: 'Support', inbound_flow_id: flow.body.id }, acct.token)).status).toBe(201);
    expect((await t.put('/fallback-experience/settings', settings, acct.token)).status).toBe(200);
    await t.put('/fallback-experience/activation', { enabled }, acct.token);
    return acct;
  }

  let seq = 0;
  const route = async (acct: TestAccount, to: string, callId = `carrier-${++seq}`) => {
    const response = await t.post('/telephony/inbound-calls', { call_id: callId, from: CALLER, to }, acct.token);
    expect(response.status, response.text).toBe(200);
    return response.body;
  };

  const callOf = (acct: TestAccount, id: string) => t.get(`/calls/${id}`, acct.token).then((r) => r.body);
  /** Lets virtual time pass one second at a time until the call has ended. */
  const ended = (acct: TestAccount, id: string) =>
    eventually(async () => {
      clock.advance(1000);
      const call = await callOf(acct, id);
      expect(call.ended_at).not.toBeNull();
      return call;
    });

  it('forwards per number first, then to the default, and plays the message first', async () => {
    const acct = await setUp({ forward: { [MAIN]: '+14155559999', default: '+18005550000' }, message: MESSAGE });
    const main = await route(acct, MAIN);
    expect(main).toMatchObject({
      decision: { action: 'forward', forward_to: '+14155559999', message: { text: MESSAGE.downtime_message, language: 'en-US' }, flow_id: null },
      continuity: true,
    });
    expect((await route(acct, SALES)).decision.forward_to).toBe('+18005550000');
    expect((await route(acct, '+14155550777')).decision.forward_to).toBe('+18005550000');
  });

  it('plays the message and hangs up when there is no forward target', async () => {
    const acct = await setUp({ forward: {}, message: MESSAGE });
    expect((await route(acct, MAIN)).decision).toEqual({
      action: 'message', forward_to: null, message: { text: MESSAGE.downtime_message, language: 'en-US' }, flow_id: null,
    });
    const placed = await t.post('/sim/inbound-calls', { from: CALLER, to: MAIN }, acct.token);
    expect(placed.status).toBe(201);
    expect(placed.body.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'answered', 'played']);
    const call = await ended(acct, placed.body.call_id);
    expect(call.outcome).toBe('completed');
    expect(call.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'answered', 'played', 'hangup']);
    expect(call.events[2]).toMatchObject({ text: MESSAGE.downtime_message, language: 'en-US' });
  });

  it('follows normal routing while disabled: the inbound flow, else the default queue', async () => {
    const acct = await setUp({ forward: { default: '+18005550000' }, message: MESSAGE }, false);
    expect(await route(acct, SUPPORT)).toMatchObject({ decision: { action: 'flow', flow_id: supportFlow(acct), forward_to: null, message: null }, continuity: false });
    expect(await route(acct, MAIN)).toMatchObject({ decision: { action: 'queue', flow_id: null, forward_to: null, message: null }, continuity: false });
  });

  it("refuses an inbound flow that is not one of the account's flows, naming the field", async () => {
    const acct = await setUp({ forward: {} });
    const other = await t.newAccount();
    const theirs = (await t.post('/flows', { name: 'Theirs', definition: { trigger: { type: 'api', arguments: [] }, start: 'end', components: [{ id: 'end', type: 'end_flow' }] } }, other.token)).body.id;
    for (const flowId of ['no-such-flow', theirs]) {
      const created = await t.post('/numbers', { number: '+14155550177', name: 'New', inbound_flow_id: flowId }, acct.token);
      expect(created.status).toBe(400);
      expect(created.body.fields).toEqual([{ name: 'inbound_flow_id', description: 'is not a flow of this account' }]);
      expect((await t.patch(`/numbers/${SUPPORT}`, { inbound_flow_id: flowId }, acct.token)).status).toBe(400);
    }
    expect((await t.get(`/numbers/${SUPPORT}`, acct.token)).body.inbound_flow_id).toBe(supportFlow(acct));
    // A flow never published cannot take calls: the route would name a flow that cannot run.
    const draft = (await t.post('/flows', { name: 'Draft', definition: { trigger: { type: 'api', arguments: [] }, start: 'end', components: [{ id: 'end', type: 'end_flow' }] } }, acct.token)).body.id;
    const unpublished = await t.patch(`/numbers/${SUPPORT}`, { inbound_flow_id: draft }, acct.token);
    expect(unpublished.status).toBe(400);
    expect(unpublished.body.fields).toEqual([{ name: 'inbound_flow_id', description: expect.stringContaining('has no published version') }]);
    expect((await t.post(`/flows/${draft}/publish`, {}, acct.token)).status).toBe(201);
    expect((await t.patch(`/numbers/${SUPPORT}`, { inbound_flow_id: draft }, acct.token)).status).toBe(200);
  });

  it('routes normally while enabled when nothing is configured for the number', async () => {
    const acct = await setUp({ forward: { [MAIN]: '+14155559999' } });
    expect((await route(acct, SALES)).decision.action).toBe('queue');
    expect((await route(acct, SUPPORT)).decision).toMatchObject({ action: 'flow', flow_id: supportFlow(acct) });
  });

  it('decides a call once: a repeated hook for the same call keeps its first route', async () => {
    const acct = await setUp({ forward: { default: '+18005550000' } });
    const first = await route(acct, MAIN, 'same-call');
    await t.put('/fallback-experience/activation', { enabled: false }, acct.token);
    expect(await route(acct, MAIN, 'same-call')).toEqual(first);
    expect((await route(acct, MAIN)).decision.action).toBe('queue');
  });

  it('keeps a ringing forwarded call on its route when the switch flips', async () => {
    const acct = await setUp({ forward: { [MAIN]: '+14155559999' } });
    await t.put('/sim/phones/+14155559999', { behavior: 'answer', answer_after_s: 10 }, acct.token);
    const ringing = await t.post('/sim/inbound-calls', { from: CALLER, to: MAIN }, acct.token);
    expect(ringing.body.decision).toMatchObject({ action: 'forward', forward_to: '+14155559999' });
    await eventually(async () => expect((await callOf(acct, ringing.body.call_id)).events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'forwarded', 'ringing']));

    await t.put('/fallback-experience/activation', { enabled: false }, acct.token);
    const after = await t.post('/sim/inbound-calls', { from: CALLER, to: MAIN }, acct.token);
    expect(after.body.decision.action).toBe('queue');

    clock.advance(9_999);
    const call = await ended(acct, ringing.body.call_id);
    expect(call).toMatchObject({ outcome: 'forwarded', continuity: true, decision: { action: 'forward', forward_to: '+14155559999' } });
    expect(call.events).toEqual([
      { type: 'ringing', at: expect.any(String) },
      { type: 'forwarded', at: expect.any(String), to: '+14155559999' },
      { type: 'ringing', at: expect.any(String), leg: '+14155559999' },
      { type: 'answered', at: expect.any(String), leg: '+14155559999' },
    ]);
    expect(Date.parse(call.ended_at) - Date.parse(call.started_at)).toBeGreaterThanOrEqual(10_000);
  });

  it('reports the forward target busy, invalid or not answering', async () => {
    const acct = await setUp({ forward: { [MAIN]: '+14155551111', [SALES]: '+14155552222', default: '+1415555' } });
    await t.put('/sim/phones/+14155551111', { behavior: 'busy' }, acct.token);
    await t.put('/sim/phones/+14155552222', { behavior: 'no_answer' }, acct.token);
    await t.patch(`/numbers/${SUPPORT}`, { inbound_flow_id: null }, acct.token);
    const busy = await t.post('/sim/inbound-calls', { from: CALLER, to: MAIN }, acct.token);
    const silent = await t.post('/sim/inbound-calls', { from: CALLER, to: SALES }, acct.token);
    expect((await ended(acct, busy.body.call_id)).outcome).toBe('busy');
    const noAnswer = await ended(acct, silent.body.call_id);
    expect(noAnswer.outcome).toBe('no_answer');
    expect(noAnswer.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'forwarded', 'ringing', 'no_answer', 'hangup']);
  });

  it('treats a rejected forward as busy and a malformed target as an invalid number', async () => {
    const acct = await setUp({ forward: { [MAIN]: '+14155553333' } });
    await t.put('/sim/phones/+14155553333', { behavior: 'reject' }, acct.token);
    const rejected = await t.post('/sim/inbound-calls', { from: CALLER, to: MAIN }, acct.token);
    expect((await ended(acct, rejected.body.call_id)).outcome).toBe('busy');
    await t.put('/sim/phones/+14155553333', { behavior: 'invalid' }, acct.token);
    const invalid = await t.post('/sim/inbound-calls', { from: CALLER, to: MAIN }, acct.token);
    expect((await ended(acct, invalid.body.call_id)).outcome).toBe('invalid_number');
  });

  it('plays the message before forwarding on the network', async () => {
    const acct = await setUp({ forward: { default: '+18005550000' }, message: MESSAGE });
    const placed = await t.post('/sim/inbound-calls', { from: CALLER, to: SALES }, acct.token);
    expect(placed.body.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'answered', 'played']);
    const call = await ended(acct, placed.body.call_id);
    expect(call.outcome).toBe('forwarded');
    expect(call.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'answered', 'played', 'forwarded', 'ringing', 'answered']);
  });

  it('queues a call under normal routing until the caller hangs up', async () => {
    const acct = await setUp({ forward: {} }, false);
    const placed = await t.post('/sim/inbound-calls', { from: CALLER, to: MAIN }, acct.token);
    expect(placed.body.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'queued']);
    const hungUp = await t.post(`/sim/calls/${placed.body.call_id}/hangup`, {}, acct.token);
    expect(hungUp.status).toBe(200);
    expect(hungUp.body).toMatchObject({ outcome: 'completed', events: [{ type: 'ringing' }, { type: 'queued' }, { type: 'hangup', by: 'caller' }] });
    expect((await t.post(`/sim/calls/${placed.body.call_id}/hangup`, {}, acct.token)).status).toBe(404);
  });

  it('ends a forwarded call when the caller hangs up while the target rings, whatever the target does after', async () => {
    const acct = await setUp({ forward: { [MAIN]: '+14155554444' } });
    await t.put('/sim/phones/+14155554444', { behavior: 'answer', answer_after_s: 6 }, acct.token);
    const placed = await t.post('/sim/inbound-calls', { from: CALLER, to: MAIN }, acct.token);
    await eventually(async () => expect((await callOf(acct, placed.body.call_id)).events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'forwarded', 'ringing']));
    clock.advance(2000);
    const hungUp = await t.post(`/sim/calls/${placed.body.call_id}/hangup`, {}, acct.token);
    expect(hungUp.body.outcome).toBe('completed');

    clock.advance(10_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const call = await callOf(acct, placed.body.call_id);
    expect(call).toMatchObject({ outcome: 'completed', ended_at: hungUp.body.ended_at });
    expect(call.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'forwarded', 'ringing', 'hangup']);
  });

  it('accepts simulated calls only to the account\'s own numbers', async () => {
    const acct = await setUp({ forward: {} });
    const response = await t.post('/sim/inbound-calls', { from: CALLER, to: '+14155550999' }, acct.token);
    expect(response.status).toBe(400);
    expect(response.body.fields[0].name).toBe('to');
    expect((await t.post('/sim/inbound-calls', { from: CALLER, to: 'main' }, acct.token)).status).toBe(400);
  });

  it('keeps scripted phones private to the account that scripted them', async () => {
    const a = await t.newAccount();
    const b = await t.newAccount();
    const put = await t.put('/sim/phones/+14155557777', { behavior: 'busy', dtmf: '12#' }, a.token);
    expect(put.body).toEqual({ number: '+14155557777', behavior: 'busy', answer_after_s: 1, dtmf: '12#' });
    expect((await t.get('/sim/phones/+14155557777', a.token)).body.behavior).toBe('busy');
    expect((await t.get('/sim/phones/+14155557777', b.token)).body).toEqual({ number: '+14155557777', behavior: 'answer', answer_after_s: 1 });
    expect((await t.delete('/sim/phones/+14155557777', b.token)).status).toBe(404);
    const bad = await t.put('/sim/phones/+14155557777', { behavior: 'explode', dtmf: 'abc' }, a.token);
    expect(bad.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['behavior', 'dtmf']);
  });

  it('logs every decision in the call log with filters and ordered events', async () => {
    const acct = await setUp({ forward: { default: '+18005550000' } });
    const routed = await route(acct, MAIN, 'logged-call');
    const call = await callOf(acct, 'logged-call');
    expect(call).toMatchObject({
      id: 'logged-call', call_id: 'logged-call', direction: 'inbound', from: CALLER, to: MAIN,
      decision: routed.decision, continuity: true, outcome: 'forwarded', ended_at: call.started_at,
      events: [{ type: 'ringing' }, { type: 'forwarded', to: '+18005550000' }],
    });
    // A call routed to the queue stays in progress: whoever carries it ends it.
    await route(acct, SALES, 'queued-call');
    await t.put('/fallback-experience/activation', { enabled: false }, acct.token);
    await route(acct, SALES, 'queued-call-2');
    expect(await callOf(acct, 'queued-call-2')).toMatchObject({ outcome: null, ended_at: null, events: [{ type: 'ringing' }, { type: 'queued', queue: 'default' }] });
    await t.put('/fallback-experience/activation', { enabled: true }, acct.token);
    const list = await t.get(`/calls?number=${encodeURIComponent(SALES)}`, acct.token);
    expect(list.body.total).toBe(2);
    expect(list.body._embedded.calls[0].to).toBe(SALES);
    expect((await t.get('/calls?direction=outbound', acct.token)).body.total).toBe(0);
    const other = await t.newAccount();
    expect((await t.get('/calls/logged-call', other.token)).status).toBe(404);
    expect((await t.get('/calls', other.token)).body.total).toBe(0);
  });

  it('validates the routing hook body', async () => {
    const acct = await t.newAccount();
    const response = await t.post('/telephony/inbound-calls', { from: CALLER, to: '4155550100' }, acct.token);
    expect(response.status).toBe(400);
    expect(response.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['call_id', 'to']);
    const scoped = await t.newAccount(['calls:read']);
    expect((await t.post('/telephony/inbound-calls', { call_id: 'x', from: CALLER, to: MAIN }, scoped.token)).status).toBe(403);
  });
});
