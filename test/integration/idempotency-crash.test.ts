import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, databaseUrl, TestApp, type TestAccount } from '../support/harness.js';
import { eventually } from '../support/eventually.js';
import { IsolatedSchema } from '../support/isolated-schema.js';

/** A request sent with this header stops, as if its node died, once its work is done and before its answer leaves. */
const STOP_BEFORE_ANSWER = 'x-test-stop-before-answer';

const SHORT_FLOW = { start: 'hours', components: [{ id: 'hours', type: 'time_rules', config: { timezone: 'UTC', schedule: {} }, exits: { open: 'end', closed: 'end' } }, { id: 'end', type: 'end_flow' }] };

describe.each(DATABASES)('an Idempotency-Key when the node dies between the commit and the answer (%s)', (kind) => {
  let dying: TestApp;
  let restarted: TestApp;
  let acct: TestAccount;

  beforeAll(async () => {
    const url = kind === 'postgres' ? (await IsolatedSchema.create()).url : databaseUrl('sqlite');
    dying = await TestApp.start(kind, {}, { DATABASE_URL: url });
    dying.app.server.addHook('onSend', async (request) => {
      if (request.headers[STOP_BEFORE_ANSWER]) await new Promise(() => undefined);
    });
    restarted = await TestApp.start(kind, {}, { DATABASE_URL: url });
    acct = await restarted.newAccount();
  });

  afterAll(async () => {
    await restarted?.close();
    await dying?.close();
  });

  /** Sends `body` to the dying node, waits for its work to be stored, and sends it again to the other node. */
  async function retriedAfterDeath(path: string, body: unknown, stored: () => Promise<number>) {
    const key = `key-${Math.random().toString(36).slice(2)}`;
    void dying.post(path, body, acct.token, { 'idempotency-key': key, [STOP_BEFORE_ANSWER]: '1' });
    await eventually(async () => expect(await stored()).toBe(1));
    return restarted.post(path, body, acct.token, { 'idempotency-key': key });
  }

  const total = async (path: string, list: string): Promise<number> => {
    const page = await restarted.get(path, acct.token);
    return (page.body._embedded?.[list] ?? []).length;
  };

  it('replays the case the first request created instead of creating a second', async () => {
    const word = `printer${Math.random().toString(36).slice(2)}`;
    const retry = await retriedAfterDeath('/cases', { title: `Printer on fire: ${word}` }, () => total(`/cases?q=${word}`, 'cases'));
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await restarted.get(`/cases/${retry.body.id}`, acct.token)).body).toEqual(retry.body);
    expect(await total(`/cases?q=${word}`, 'cases')).toBe(1);
  });

  it('replays the note the first request added', async () => {
    const created = await restarted.post('/cases', { title: 'Router keeps rebooting' }, acct.token);
    const path = `/cases/${created.body.id}/notes`;
    const retry = await retriedAfterDeath(path, { body: 'Asked for the serial number', visibility: 'internal' }, () => total(path, 'notes'));
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await total(path, 'notes')).toBe(1);
    expect((await restarted.get(path, acct.token)).body._embedded.notes[0].id).toBe(retry.body.id);
  });

  it('replays the message the first request accepted, so the customer is not sent it twice', async () => {
    const phone = `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    const sent = () => restarted.get('/messages', acct.token).then((page) => (page.body._embedded?.messages ?? []).filter((m: { to: { phoneNumber?: string } }) => m.to.phoneNumber === phone).length);
    const retry = await retriedAfterDeath('/messages', { body: 'Your order has shipped', to: { phoneNumber: phone }, rules: ['sms'] }, sent);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await sent()).toBe(1);
    expect((await restarted.get(`/messages/${retry.body.messageId}`, acct.token)).status).toBe(200);
  });

  it('replays the callback request the first request queued, so it is not counted twice', async () => {
    expect((await restarted.post('/skills', { name: 'Billing' }, acct.token)).status).toBe(201);
    const requests = () => restarted.get('/callbacks?skill=Billing', acct.token).then((page) => (page.body._embedded?.callbacks ?? []).map((c: { requests: number }) => c.requests));
    const retry = await retriedAfterDeath('/rest/api/v1/callback', { skill: 'Billing', callbackNumber: '+13855551234' }, async () => (await requests()).length);
    expect(retry.status).toBe(204);
    expect(retry.text).toBe('');
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await requests()).toEqual([1]);
  });

  it('replays the interaction the first request started, so the flow does not run twice', async () => {
    const flow = await restarted.post('/flows', { name: 'Short', definition: SHORT_FLOW }, acct.token);
    expect((await restarted.post(`/flows/${flow.body.id}/publish`, undefined, acct.token)).status).toBe(201);
    const path = `/flows/${flow.body.id}/executions`;
    const retry = await retriedAfterDeath(`/flows/${flow.body.id}/interactions`, {}, () => total(path, 'executions'));
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await total(path, 'executions')).toBe(1);
    expect((await restarted.get(`/interactions/${retry.body.interaction_id}`, acct.token)).status).toBe(200);
  });
});
