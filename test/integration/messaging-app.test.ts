import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { eventually } from '../support/eventually.js';
import { FakeProvider, TEST_ADAPTERS } from '../support/fake-provider.js';
import { IsolatedSchema } from '../support/isolated-schema.js';
import { SseClient } from '../support/sse.js';
import { configure, message, send, trail } from './messaging-support.js';

const PHONE = '+14155550100';

/** Starts an app with its worker running, listening on a port of its own. */
async function listening(db: 'sqlite' | 'postgres', env: Record<string, string> = {}): Promise<{ t: TestApp; base: string }> {
  const t = await TestApp.start(db, { channelAdapters: TEST_ADAPTERS }, { SWITCHBOARD_WORKER: 'true', ...env });
  await t.app.server.listen({ port: 0, host: '127.0.0.1' });
  return { t, base: `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}` };
}

describe.each(DATABASES)('appMessaging: the customer app over Server-Sent Events (%s)', (db) => {
  let t: TestApp;
  let base: string;
  let provider: FakeProvider;
  const clients: SseClient[] = [];
  beforeAll(async () => {
    provider = await FakeProvider.start();
    ({ t, base } = await listening(db));
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await t.close();
    await provider.close();
  });

  async function customer(acct: TestAccount, profileId: string): Promise<string> {
    expect((await t.put(`/profiles/${profileId}`, { phone_number: PHONE }, acct.token)).status).toBe(200);
    const issued = await t.post(`/profiles/${profileId}/app-token`, undefined, acct.token);
    expect(issued.status).toBe(201);
    return issued.body.token as string;
  }
  async function connect(token?: string): Promise<SseClient> {
    const client = await SseClient.connect(`${base}/app/stream`, token);
    clients.push(client);
    return client;
  }
  const receipts = (token: string, body: unknown) => fetch(`${base}/app/receipts`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const settled = (acct: TestAccount, id: string, status: string) => eventually(async () => {
    const view = await message(t, acct, id);
    expect(view.status).toBe(status);
    return view;
  });

  it('pushes the message to the connected app, and takes its delivery and read receipts', async () => {
    const acct = await t.newAccount();
    const token = await customer(acct, 'app-1');
    const app = await connect(token);
    expect(app.status).toBe(200);
    expect((await app.next((e) => e.event === 'connected')).data).toEqual({ profileId: 'app-1' });

    const id = await send(t, acct, { title: 'Order', to: { profileId: 'app-1' }, rules: ['appMessaging', 'sms'], customBody: { appMessaging: 'Shipped! Tap to track.' }, metadata: { order: 'A-1' } });
    const pushed = await app.next((e) => e.event === 'message');
    expect(pushed.id).toBe(id);
    expect(pushed.data).toEqual({ messageId: id, title: 'Order', body: 'Shipped! Tap to track.', metadata: { order: 'A-1' }, sentOn: expect.any(String) });
    const sent = await settled(acct, id, 'sent');
    expect(sent.statusDetails.channelStatus.appMessaging).toMatchObject({ status: 'sent', details: expect.stringContaining('pushed to the app'), provider: null });

    const delivered = await receipts(token, { receipts: [{ messageId: id, status: 'delivered' }] });
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toEqual({ applied: 1, ignored: 0 });
    expect((await message(t, acct, id)).status).toBe('delivered');
    await receipts(token, { receipts: [{ messageId: id, status: 'read', at: new Date().toISOString() }] });
    // A delivered receipt after read changes nothing.
    expect(await (await receipts(token, { receipts: [{ messageId: id, status: 'delivered' }] })).json()).toEqual({ applied: 0, ignored: 1 });
    const read = await message(t, acct, id);
    expect(read.status).toBe('read');
    expect(read.statusDetails.channelStatus.appMessaging.status).toBe('read');
    expect(trail(read)).toEqual(['appMessaging:accepted']);
  });

  it('ends the streams opened with an app token once it is replaced or revoked: nothing sent afterwards reaches them', async () => {
    const acct = await t.newAccount();
    const old = await connect(await customer(acct, 'app-rotated'));
    await old.next((e) => e.event === 'connected');
    const replaced = await t.post('/profiles/app-rotated/app-token', undefined, acct.token);
    expect(replaced.status).toBe(201);
    await old.ended;
    const current = await connect(replaced.body.token as string);
    await current.next((e) => e.event === 'connected');
    const id = await send(t, acct, { to: { profileId: 'app-rotated' }, rules: ['appMessaging'] });
    expect((await current.next((e) => e.event === 'message')).id).toBe(id);
    expect(old.messages()).toEqual([]);
    expect((await t.delete('/profiles/app-rotated/app-token', acct.token)).status).toBe(204);
    await current.ended;
  });

  it('falls back to the next channel when the app is not connected', async () => {
    const acct = await t.newAccount();
    const sms = provider.endpoint();
    await configure(t, acct, 'sms', [sms]);
    await customer(acct, 'offline');
    const id = await send(t, acct, { to: { profileId: 'offline' }, rules: ['appMessaging', 'sms'] });
    const view = await settled(acct, id, 'sent');
    expect(view.statusDetails.channelStatus.appMessaging).toMatchObject({ status: 'rejected', details: 'rejected: app not connected' });
    expect(trail(view)).toEqual(['appMessaging:rejected', 'sms/sms-1:accepted']);
    expect(provider.received(sms).map((r) => r.body.to)).toEqual([PHONE]);
  });

  it('refuses streams and receipts without a valid token, and receipts for another profile’s messages', async () => {
    expect((await connect()).status).toBe(401);
    expect((await connect('sbapp_nope.nope')).status).toBe(401);
    const noToken = await fetch(`${base}/app/receipts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"receipts":[]}' });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toContain('Bearer');

    const acct = await t.newAccount();
    const mine = await customer(acct, 'mine');
    const theirs = await customer(acct, 'theirs');
    const app = await connect(mine);
    await app.next((e) => e.event === 'connected');
    const id = await send(t, acct, { to: { profileId: 'mine' }, rules: ['appMessaging'] });
    await app.next((e) => e.event === 'message');
    await settled(acct, id, 'sent');
    expect(await (await receipts(theirs, { receipts: [{ messageId: id, status: 'read' }] })).json()).toEqual({ applied: 0, ignored: 1 });
    const other = await t.newAccount();
    const foreign = await customer(other, 'mine');
    expect(await (await receipts(foreign, { receipts: [{ messageId: id, status: 'read' }] })).json()).toEqual({ applied: 0, ignored: 1 });
    expect((await message(t, acct, id)).status).toBe('sent');
    expect((await receipts(mine, { receipts: [{ messageId: id, status: 'opened' }] })).status).toBe(400);
    // A revoked token stops working at once.
    expect((await t.delete('/profiles/mine/app-token', acct.token)).status).toBe(204);
    expect((await receipts(mine, { receipts: [{ messageId: id, status: 'read' }] })).status).toBe(401);
  });

  it('replays an app token issued with an Idempotency-Key instead of revoking it with a second one', async () => {
    const acct = await t.newAccount();
    expect((await t.put('/profiles/keyed', { phone_number: PHONE }, acct.token)).status).toBe(200);
    const headers = { 'idempotency-key': 'install-1' };
    const first = await t.post('/profiles/keyed/app-token', undefined, acct.token, headers);
    const again = await t.post('/profiles/keyed/app-token', undefined, acct.token, headers);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await receipts(first.body.token, { receipts: [] })).status).not.toBe(401);
  });

  it('gives an app that reconnects the messages it was sent without a delivery receipt, and forgets a closed stream', async () => {
    const acct = await t.newAccount();
    const sms = provider.endpoint();
    await configure(t, acct, 'sms', [sms]);
    const token = await customer(acct, 'flaky');
    const first = await connect(token);
    await first.next((e) => e.event === 'connected');
    const id = await send(t, acct, { body: 'while you were away', to: { profileId: 'flaky' }, rules: ['appMessaging', 'sms'] });
    await first.next((e) => e.event === 'message');
    await settled(acct, id, 'sent');
    await first.close();
    // The stream is forgotten: the next message falls back to sms.
    await eventually(async () => expect(await t.services.storage.db.selectFrom('app_sessions').selectAll().where('account_id', '=', acct.id).execute()).toEqual([]));
    const fallback = await send(t, acct, { to: { profileId: 'flaky' }, rules: ['appMessaging', 'sms'] });
    expect(trail(await settled(acct, fallback, 'sent'))).toEqual(['appMessaging:rejected', 'sms/sms-1:accepted']);

    const second = await connect(token);
    await second.next((e) => e.event === 'connected');
    const owed = await second.next((e) => e.event === 'message');
    expect(owed.data).toMatchObject({ messageId: id, body: 'while you were away' });
    expect(second.messages().map((e) => e.id)).toEqual([id]);
  });
});

describe.each(DATABASES.filter((db) => db === 'postgres'))('appMessaging across nodes (%s)', (db) => {
  it('reaches an app connected to another node', async () => {
    const schema = await IsolatedSchema.create();
    const a = await listening(db, { DATABASE_URL: schema.url });
    const b = await listening(db, { DATABASE_URL: schema.url });
    const clients: SseClient[] = [];
    try {
      const acct = await a.t.newAccount();
      await a.t.put('/profiles/roamer', {}, acct.token);
      const token = (await a.t.post('/profiles/roamer/app-token', undefined, acct.token)).body.token as string;
      const app = await SseClient.connect(`${a.base}/app/stream`, token);
      clients.push(app);
      await app.next((e) => e.event === 'connected');
      // Sent through node B, whose worker runs the send: B finds the stream open on A and hands the message over.
      const sent = await b.t.post('/messages', { body: 'from the other node', to: { profileId: 'roamer' }, rules: ['appMessaging'] }, acct.token);
      expect(sent.status).toBe(201);
      const pushed = await app.next((e) => e.event === 'message');
      expect(pushed.data).toMatchObject({ messageId: sent.body.messageId, body: 'from the other node' });
      const view = await eventually(async () => {
        const current = (await b.t.get(`/messages/${sent.body.messageId}`, acct.token)).body;
        expect(current.status).toBe('sent');
        return current;
      });
      expect(view.statusDetails.channelStatus.appMessaging.details).toMatch(/^accepted: handed to the app's stream on node app\//);
    } finally {
      for (const client of clients) await client.close();
      await a.t.close();
      await b.t.close();
    }
  }, 30_000);
});
