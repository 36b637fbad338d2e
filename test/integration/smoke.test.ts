import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, TestApp } from '../support/harness.js';

describe.each(DATABASES)('smoke (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  it('creates an account and routes a call', async () => {
    const acct = await t.newAccount();
    expect((await t.post('/numbers', { number: '+14155550100', name: 'Main' }, acct.token)).status).toBe(201);
    const put = await t.put('/fallback-experience/settings', { forward: { '+14155550100': '+14155559999', default: '+18005550000' }, message: { downtime_message: 'We are down', language: 'en-US' } }, acct.token);
    expect(put.status, put.text).toBe(200);
    expect((await t.put('/fallback-experience/activation', { enabled: true }, acct.token)).status).toBe(200);
    const routed = await t.post('/telephony/inbound-calls', { call_id: 'c1', from: '+15550001111', to: '+14155550100' }, acct.token);
    expect(routed.status, routed.text).toBe(200);
    expect(routed.body.decision.forward_to).toBe('+14155559999');
    const sim = await t.post('/sim/inbound-calls', { from: '+15550001111', to: '+14155550100' }, acct.token);
    expect(sim.status, sim.text).toBe(201);
    const calls = await t.get('/calls', acct.token);
    expect(calls.status, calls.text).toBe(200);
    expect(calls.body.total).toBe(2);
  });
});
