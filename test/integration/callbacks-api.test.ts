import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { ADMIN_TOKEN, DATABASES, TestApp, type TestAccount } from '../support/harness.js';

const SKILL = 'Online Requests';

describe.each(DATABASES)('callback requests over the API (%s)', (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  async function account(country = 'US'): Promise<TestAccount> {
    const acct = await t.newAccount(undefined, { default_country: country });
    expect((await t.post('/skills', { name: SKILL }, acct.token)).status).toBe(201);
    return acct;
  }
  const request = (acct: TestAccount, body: unknown) => t.post('/rest/api/v1/callback', body, acct.token);
  const list = async (acct: TestAccount, query = '') => (await t.get(`/callbacks${query}`, acct.token)).body;

  it('answers 204 with an empty body and stores the callback queued, in E.164 with the default country', async () => {
    const acct = await account('US');
    const response = await request(acct, { skill: SKILL, callbackNumber: '3855551234' });
    expect(response.status, response.text).toBe(204);
    expect(response.text).toBe('');
    const page = await list(acct);
    expect(page.total).toBe(1);
    expect(page._embedded.callbacks[0]).toMatchObject({ skill: SKILL, callback_number: '+13855551234', state: 'queued', requests: 1, attempts: [] });
    const one = await t.get(`/callbacks/${page._embedded.callbacks[0].id}`, acct.token);
    expect(one.status).toBe(200);
    expect(one.body.callback_number).toBe('+13855551234');
  });

  it("normalises with the account's own country and keeps numbers already in E.164", async () => {
    const pt = await account('PT');
    expect((await request(pt, { skill: SKILL, callbackNumber: '912345678' })).status).toBe(204);
    expect((await request(pt, { skill: SKILL, callbackNumber: '+14155550100' })).status).toBe(204);
    const numbers = (await list(pt))._embedded.callbacks.map((c: { callback_number: string }) => c.callback_number).sort();
    expect(numbers).toEqual(['+14155550100', '+351912345678']);
  });

  it('rejects malformed JSON, missing or non-string fields, unknown skills and undialable numbers with 400', async () => {
    const acct = await account();
    const malformed = await t.request('POST', '/rest/api/v1/callback', { token: acct.token, raw: '{"skill": ', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('malformed_json');
    for (const body of [{}, { skill: SKILL }, { callbackNumber: '3855551234' }, { skill: 7, callbackNumber: '3855551234' }, { skill: SKILL, callbackNumber: 3855551234 }]) {
      const response = await request(acct, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('validation_failed');
    }
    for (const skill of ['online requests', 'Online Requests ', ' Online Requests', 'Online  Requests', 'Nope']) {
      const response = await request(acct, { skill, callbackNumber: '3855551234' });
      expect(response.status, skill).toBe(400);
      expect(response.body.code).toBe('unknown_skill');
    }
    // Possible by length but in no range the numbering plan assigns: '+10000000000', '+11111111111', '0000000000'.
    for (const callbackNumber of ['', '12', 'not a number', '+1234', '3855551234x', '+13855551234;ext=1', '+1 385 555 1234 ext. 7', '+10000000000', '+11111111111', '0000000000']) {
      const response = await request(acct, { skill: SKILL, callbackNumber });
      expect(response.status, callbackNumber).toBe(400);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.fields).toEqual([{ name: 'callbackNumber', description: expect.any(String) }]);
    }
    const huge = await request(acct, { skill: SKILL, callbackNumber: '3855551234', note: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
    expect((await list(acct)).total).toBe(0);
  });

  it('answers 401 without a valid token and 403 without callback:write', async () => {
    const acct = await account();
    const none = await t.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: '3855551234' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect((await t.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: '3855551234' }, 'garbage')).status).toBe(401);
    const readOnly = await t.newAccount(['callbacks:read']);
    const forbidden = await t.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: '3855551234' }, readOnly.token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('insufficient_scope');
    const writeOnly = await t.newAccount(['callback:write']);
    expect((await t.get('/callbacks', writeOnly.token)).status).toBe(403);
    expect((await list(acct)).total).toBe(0);
  });

  it('accepts a service token holding callback:write, as a web form uses', async () => {
    const acct = await account();
    const issued = await t.post(`/admin/accounts/${acct.id}/service-tokens`, { name: 'web-form', scopes: ['callback:write'], expires_at: null }, ADMIN_TOKEN);
    expect(issued.status).toBe(201);
    expect((await t.post('/rest/api/v1/callback', { skill: SKILL, callbackNumber: '3855551234' }, issued.body.token)).status).toBe(204);
    expect((await list(acct)).total).toBe(1);
  });

  it('records a repeat for the same number and skill on the waiting callback instead of queueing another', async () => {
    const acct = await account();
    await t.post('/skills', { name: 'Billing' }, acct.token);
    expect((await request(acct, { skill: SKILL, callbackNumber: '3855551234' })).status).toBe(204);
    clock.advance(5000);
    expect((await request(acct, { skill: SKILL, callbackNumber: '+13855551234' })).status).toBe(204);
    expect((await request(acct, { skill: 'Billing', callbackNumber: '3855551234' })).status).toBe(204);
    const page = await list(acct, `?skill=${encodeURIComponent(SKILL)}`);
    expect(page.total).toBe(1);
    const [first] = page._embedded.callbacks;
    expect(first.requests).toBe(2);
    expect(Date.parse(first.last_requested_at) - Date.parse(first.created_at)).toBe(5000);
    expect((await list(acct)).total).toBe(2);

    // Once it is no longer waiting, the same request queues a new callback.
    expect((await t.delete(`/callbacks/${first.id}`, acct.token)).status).toBe(204);
    expect((await request(acct, { skill: SKILL, callbackNumber: '3855551234' })).status).toBe(204);
    expect((await list(acct, `?skill=${encodeURIComponent(SKILL)}&state=queued`)).total).toBe(1);
  });

  it('replays a request with the same Idempotency-Key without recording it again; another body with the key is 422', async () => {
    const acct = await account();
    const body = { skill: SKILL, callbackNumber: '3855551234' };
    const first = await t.post('/rest/api/v1/callback', body, acct.token, { 'idempotency-key': 'form-42' });
    const replay = await t.post('/rest/api/v1/callback', body, acct.token, { 'idempotency-key': 'form-42' });
    expect([first.status, replay.status]).toEqual([204, 204]);
    expect(replay.text).toBe('');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await list(acct))._embedded.callbacks.map((c: { requests: number }) => c.requests)).toEqual([1]);
    const reused = await t.post('/rest/api/v1/callback', { ...body, callbackNumber: '3855550000' }, acct.token, { 'idempotency-key': 'form-42' });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
  });

  it('logs each accepted request as a zero-second inbound call to the skill, marked as a callback request', async () => {
    const acct = await account();
    await request(acct, { skill: SKILL, callbackNumber: '3855551234' });
    await request(acct, { skill: SKILL, callbackNumber: '3855551234' });
    await request(acct, { skill: 'Nope', callbackNumber: '3855551234' });
    const calls = (await t.get('/calls', acct.token)).body._embedded.calls;
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call).toMatchObject({ direction: 'inbound', from: '+13855551234', to: SKILL, kind: 'callback_request', skill: SKILL, outcome: 'completed' });
      expect(call.ended_at).toBe(call.started_at);
    }
  });

  it('filters the list by skill, state and creation time, and pages with a cursor', async () => {
    const acct = await account();
    await t.post('/skills', { name: 'Billing' }, acct.token);
    const start = clock.now().toISOString();
    for (let i = 0; i < 5; i += 1) {
      await request(acct, { skill: i % 2 === 0 ? SKILL : 'Billing', callbackNumber: `385555120${i}` });
      clock.advance(1000);
    }
    const middle = new Date(Date.parse(start) + 2000).toISOString();
    expect((await list(acct, `?skill=Billing`)).total).toBe(2);
    expect((await list(acct, `?skill=billing`)).total).toBe(0);
    expect((await list(acct, `?state=queued`)).total).toBe(5);
    expect((await list(acct, `?state=failed`)).total).toBe(0);
    expect((await list(acct, `?created_from=${middle}`)).total).toBe(3);
    expect((await list(acct, `?created_to=${middle}`)).total).toBe(2);
    expect((await t.get('/callbacks?state=waiting', acct.token)).status).toBe(400);
    // The skill filter follows a rename: callbacks belong to the skill, not to its old name.
    const billing = (await t.get('/skills', acct.token)).body._embedded.skills.find((s: { name: string }) => s.name === 'Billing');
    expect((await t.patch(`/skills/${billing.id}`, { name: 'Invoices' }, acct.token)).status).toBe(200);
    const renamed = await list(acct, `?skill=Invoices`);
    expect(renamed.total).toBe(2);
    expect(renamed._embedded.callbacks.map((c: { skill: string }) => c.skill)).toEqual(['Invoices', 'Invoices']);
    expect((await list(acct, `?skill=Billing`)).total).toBe(0);
    // Once the skill is deleted, the name it last had finds its callbacks.
    expect((await t.delete(`/skills/${billing.id}`, acct.token)).status).toBe(204);
    expect((await list(acct, `?skill=Invoices`))._embedded.callbacks.map((c: { callback_number: string }) => c.callback_number)).toEqual(['+13855551203', '+13855551201']);
    expect((await list(acct, `?skill=Billing`)).total).toBe(0);

    const seen: string[] = [];
    let url: string | undefined = '/callbacks?per_page=2';
    while (url) {
      const page: { _embedded: { callbacks: { callback_number: string }[] }; _links: { next?: { href: string } } } = (await t.get(url, acct.token)).body;
      seen.push(...page._embedded.callbacks.map((c) => c.callback_number));
      url = page._links.next?.href;
    }
    expect(seen).toEqual(['+13855551204', '+13855551203', '+13855551202', '+13855551201', '+13855551200']);
  });

  it('cancels a queued callback, 409 once it is no longer queued, 404 for another account', async () => {
    const acct = await account();
    const other = await account();
    await request(acct, { skill: SKILL, callbackNumber: '3855551234' });
    const [callback] = (await list(acct))._embedded.callbacks;
    expect((await t.get(`/callbacks/${callback.id}`, other.token)).status).toBe(404);
    expect((await t.delete(`/callbacks/${callback.id}`, other.token)).status).toBe(404);
    expect((await t.get(`/callbacks/${callback.id}`, acct.token)).body.state).toBe('queued');
    expect((await t.delete(`/callbacks/${callback.id}`, acct.token)).status).toBe(204);
    expect((await t.get(`/callbacks/${callback.id}`, acct.token)).body.state).toBe('cancelled');
    const again = await t.delete(`/callbacks/${callback.id}`, acct.token);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('conflict');
    expect((await t.delete('/callbacks/nope', acct.token)).status).toBe(404);
  });
});
