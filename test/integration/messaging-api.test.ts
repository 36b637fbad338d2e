import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, TestApp } from '../support/harness.js';
import { FakeProvider, TEST_ADAPTERS } from '../support/fake-provider.js';
import { configure, message, send } from './messaging-support.js';

describe.each(DATABASES)('messaging API: shapes, validation, profiles and channel configuration (%s)', (db) => {
  let t: TestApp;
  let provider: FakeProvider;
  beforeAll(async () => {
    provider = await FakeProvider.start();
    t = await TestApp.start(db, { channelAdapters: TEST_ADAPTERS });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
  });

  it('accepts a send with 201 {messageId, status} and shows it as API.md does, camelCase', async () => {
    const acct = await t.newAccount();
    await configure(t, acct, 'sms', [provider.endpoint()]);
    const response = await t.post('/messages', {
      body: 'Your order shipped', title: 'Order', to: { profileId: 'cust-42', phoneNumber: '447123123123', email: 'a@b.c' },
      rules: ['fbMessenger', { channel: 'sms', until: 'delivered', within_s: 120 }, 'email'], channelOptions: { sms: { from: 'Acme' } },
      customBody: { sms: 'Shipped!' }, metadata: { order: 'A-1' }, expiresOn: '2099-01-01T00:00:00Z',
    }, acct.token);
    expect(response.status, response.text).toBe(201);
    expect(response.body).toEqual({ messageId: expect.any(String), status: 'processing' });
    expect(response.headers.location).toBe(`/messages/${response.body.messageId}`);

    const stored = await message(t, acct, response.body.messageId);
    expect(stored).toMatchObject({
      messageId: response.body.messageId, status: 'processing', body: 'Your order shipped', title: 'Order',
      // A number written without + is read as international when it is not a national number of the account's country.
      to: { profileId: 'cust-42', phoneNumber: '+447123123123', email: 'a@b.c' },
      rules: ['fbMessenger', { channel: 'sms', until: 'delivered', within_s: 120 }, 'email'],
      channelOptions: { sms: { from: 'Acme' } }, customBody: { sms: 'Shipped!' }, metadata: { order: 'A-1' },
      expiresOn: '2099-01-01T00:00:00.000Z', statusDetails: { channelStatus: {} }, attempts: [],
    });

    await t.app.worker.drain();
    const sent = await message(t, acct, response.body.messageId);
    expect(sent.status).toBe('sent');
    expect(sent.statusDetails.channelStatus).toEqual({
      fbMessenger: { status: 'skipped', details: 'no fbMessengerId', updatedOn: expect.any(String), provider: null },
      sms: { status: 'sent', details: expect.stringContaining('accepted by provider "sms-1"'), updatedOn: expect.any(String), provider: 'sms-1' },
    });
    // The sms provider got the custom body and the channel's options.
    const [request] = provider.requests.filter((r) => r.body?.messageId === response.body.messageId);
    expect(request?.body).toMatchObject({ to: '+447123123123', body: 'Shipped!', title: 'Order', options: { from: 'Acme' }, metadata: { order: 'A-1' } });
    expect(request?.authorization).toBe('Bearer token-1');
  });

  it('names every invalid field with 400 validation_failed', async () => {
    const acct = await t.newAccount();
    const cases: [unknown, string[]][] = [
      [{ to: { phoneNumber: '+14155550100' }, rules: ['sms'] }, ['body']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: [] }, ['rules']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' } }, ['rules']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: ['pigeon'] }, ['rules.0']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: ['sms', 'email', 'sms'] }, ['rules.2']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: ['sms', { channel: 'sms' }] }, ['rules.1']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: [{ channel: 'sms', until: 'delivered', within_s: 0 }] }, ['rules.0.within_s']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: [{ channel: 'sms', until: 'delivered' }] }, ['rules.0.within_s']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: [{ channel: 'sms', until: 'opened', within_s: 5 }] }, ['rules.0']],
      [{ body: 'x', to: {}, rules: ['sms'] }, ['to']],
      [{ body: 'x', to: { email: 'not-an-email' }, rules: ['email'] }, ['to.email']],
      [{ body: 'x', to: { fax: '123' }, rules: ['sms'] }, ['to.fax']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: ['sms'], expiresOn: 'tomorrow' }, ['expiresOn']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: ['sms'], expiresOn: '2001-01-01T00:00:00Z' }, ['expiresOn']],
      [{ body: 'x', to: { phoneNumber: '12' }, rules: ['sms'] }, ['to.phoneNumber']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: ['sms'], channelOptions: { telegram: {} } }, ['channelOptions.telegram']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: ['sms'], customBody: { sms: '' } }, ['customBody.sms']],
      [{ body: 'x', to: { phoneNumber: '+14155550100' }, rules: ['sms'], colour: 'red' }, ['colour']],
      [{ body: '', to: { email: 'bad' }, rules: ['fax'] }, ['body', 'to.email', 'rules.0']],
    ];
    for (const [body, names] of cases) {
      const response = await t.post('/messages', body, acct.token);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.fields.map((f: { name: string }) => f.name).sort(), JSON.stringify(body)).toEqual([...names].sort());
    }
    expect((await t.get('/messages', acct.token)).body.total).toBe(0);
  });

  it('honours Idempotency-Key: a repeat returns the first answer and stores nothing new', async () => {
    const acct = await t.newAccount();
    const body = { body: 'once', to: { phoneNumber: '+14155550100' }, rules: ['sms'] };
    const first = await t.post('/messages', body, acct.token, { 'idempotency-key': 'k-1' });
    const again = await t.post('/messages', body, acct.token, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await t.post('/messages', { ...body, body: 'other' }, acct.token, { 'idempotency-key': 'k-1' })).status).toBe(422);
    expect((await t.get('/messages', acct.token)).body.total).toBe(1);
  });

  it('lists messages newest first with filters and keyset paging, and needs the messages scopes', async () => {
    const acct = await t.newAccount();
    await configure(t, acct, 'sms', [provider.endpoint()]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push(await send(t, acct, { to: { profileId: i % 2 === 0 ? 'even' : 'odd', phoneNumber: '+14155550100' }, rules: ['sms'] }));
    const skipped = await send(t, acct, { to: { profileId: 'even' }, rules: ['email'] });
    await t.app.worker.drain();

    const all = await t.get('/messages?per_page=2', acct.token);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 6, count: 2, per_page: 2 });
    const seen: string[] = all.body._embedded.messages.map((m: { messageId: string }) => m.messageId);
    let next = all.body._links.next?.href as string | undefined;
    while (next) {
      const page = await t.get(next, acct.token);
      seen.push(...page.body._embedded.messages.map((m: { messageId: string }) => m.messageId));
      next = page.body._links.next?.href;
    }
    expect(seen).toEqual([...ids, skipped].reverse());

    expect((await t.get('/messages?profileId=even', acct.token)).body.total).toBe(4);
    expect((await t.get('/messages?status=failed', acct.token)).body._embedded.messages.map((m: { messageId: string }) => m.messageId)).toEqual([skipped]);
    expect((await t.get('/messages?channel=sms&status=sent', acct.token)).body.total).toBe(5);
    expect((await t.get('/messages?created_from=2099-01-01T00:00:00Z', acct.token)).body.total).toBe(0);
    expect((await t.get('/messages?status=lost', acct.token)).status).toBe(400);

    const readOnly = await t.newAccount(['messages:read']);
    expect((await t.post('/messages', { body: 'x', to: { email: 'a@b.co' }, rules: ['email'] }, readOnly.token)).body.code).toBe('insufficient_scope');
    const writeOnly = await t.newAccount(['messages:write']);
    expect((await t.get('/messages', writeOnly.token)).status).toBe(403);
    expect((await t.get(`/messages/${ids[0]}`, acct.token)).status).toBe(200);
    expect((await t.get('/messages/nope', acct.token)).status).toBe(404);
  });

  it('stores profiles: addresses, opt-outs and the WhatsApp window; validates them', async () => {
    const acct = await t.newAccount(undefined, { default_country: 'PT' });
    const put = await t.put('/profiles/cust-1', { phone_number: '912345678', email: 'c@d.co', fb_messenger_id: 'psid-1', whatsapp_id: '351912345678', opt_outs: ['email', 'email'], last_inbound_whatsapp_at: '2026-11-23T08:00:00+01:00' }, acct.token);
    expect(put.status, put.text).toBe(200);
    expect(put.body).toEqual({
      profile_id: 'cust-1', phone_number: '+351912345678', email: 'c@d.co', fb_messenger_id: 'psid-1', whatsapp_id: '351912345678', opt_outs: ['email'],
      last_inbound_whatsapp_at: '2026-11-23T07:00:00.000Z', app: { token_issued_at: null }, created_at: expect.any(String), updated_at: expect.any(String),
    });
    expect((await t.get('/profiles/cust-1', acct.token)).body).toEqual(put.body);
    // A PUT that does not name the window (a CRM syncing addresses) keeps it while the WhatsApp id stays; null clears it.
    const synced = await t.put('/profiles/cust-1', { phone_number: '912345678', whatsapp_id: '351912345678' }, acct.token);
    expect(synced.body).toMatchObject({ email: null, last_inbound_whatsapp_at: '2026-11-23T07:00:00.000Z' });
    expect((await t.put('/profiles/cust-1', { whatsapp_id: '351912345679' }, acct.token)).body.last_inbound_whatsapp_at).toBeNull();
    await t.put('/profiles/cust-1', { whatsapp_id: '351912345679', last_inbound_whatsapp_at: '2026-11-23T08:00:00Z' }, acct.token);
    expect((await t.put('/profiles/cust-1', { whatsapp_id: '351912345679', last_inbound_whatsapp_at: null }, acct.token)).body.last_inbound_whatsapp_at).toBeNull();
    // Otherwise PUT replaces the profile.
    expect((await t.put('/profiles/cust-1', { email: 'new@d.co' }, acct.token)).body).toMatchObject({ phone_number: null, email: 'new@d.co', opt_outs: [], last_inbound_whatsapp_at: null });

    const bad = await t.put('/profiles/cust-1', { email: 'x', opt_outs: ['fax'], last_inbound_whatsapp_at: 'yesterday', nickname: 'c' }, acct.token);
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['email', 'last_inbound_whatsapp_at', 'nickname', 'opt_outs.0']);
    expect((await t.put('/profiles/cust-1', { phone_number: 'abc' }, acct.token)).body.fields).toEqual([{ name: 'phone_number', description: expect.any(String) }]);
    // The addresses may be named as a send's `to` names them.
    const camel = await t.put('/profiles/cust-1', { phoneNumber: '912345678', fbMessengerId: 'psid-2', whatsAppId: '351912345678' }, acct.token);
    expect(camel.body).toMatchObject({ phone_number: '+351912345678', fb_messenger_id: 'psid-2', whatsapp_id: '351912345678' });
    const both = await t.put('/profiles/cust-1', { phone_number: '912345678', phoneNumber: '912345679' }, acct.token);
    expect(both.body.fields).toEqual([{ name: 'phoneNumber', description: expect.stringContaining('phone_number') }]);
    expect((await t.put('/profiles/bad%20id', {}, acct.token)).status).toBe(400);
    expect((await t.get('/profiles/nobody', acct.token)).status).toBe(404);

    expect((await t.delete('/profiles/cust-1', acct.token)).status).toBe(204);
    expect((await t.get('/profiles/cust-1', acct.token)).status).toBe(404);
  });

  it('issues an app token once, stored hashed, replaced by the next and revocable', async () => {
    const acct = await t.newAccount();
    expect((await t.post('/profiles/nobody/app-token', undefined, acct.token)).status).toBe(404);
    await t.put('/profiles/app-user', {}, acct.token);
    const issued = await t.post('/profiles/app-user/app-token', undefined, acct.token);
    expect(issued.status).toBe(201);
    expect(issued.body).toEqual({ profile_id: 'app-user', token: expect.stringMatching(/^sbapp_/), issued_at: expect.any(String) });
    const row = await t.services.storage.db.selectFrom('message_profiles').selectAll().where('account_id', '=', acct.id).where('id', '=', 'app-user').executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(issued.body.token.split('.')[1]);
    expect((await t.get('/profiles/app-user', acct.token)).body.app).toEqual({ token_issued_at: issued.body.issued_at });
    // A PUT keeps the token.
    await t.put('/profiles/app-user', { email: 'a@b.co' }, acct.token);
    expect(await t.services.messaging.profiles.authenticateApp(issued.body.token)).toEqual({ accountId: acct.id, profileId: 'app-user' });

    const second = await t.post('/profiles/app-user/app-token', undefined, acct.token);
    expect(await t.services.messaging.profiles.authenticateApp(issued.body.token)).toBeUndefined();
    expect(await t.services.messaging.profiles.authenticateApp(second.body.token)).toBeDefined();
    expect((await t.delete('/profiles/app-user/app-token', acct.token)).status).toBe(204);
    expect(await t.services.messaging.profiles.authenticateApp(second.body.token)).toBeUndefined();
    expect((await t.get('/profiles/app-user', acct.token)).body.app).toEqual({ token_issued_at: null });
  });

  it('keeps channel credentials encrypted at rest and never reads them back', async () => {
    const acct = await t.newAccount();
    const secret = 'sk_live_very-secret-value-42';
    const put = await t.put('/channels/whatsApp', {
      providers: [
        { name: 'meta', base_url: 'https://graph.facebook.com/v21.0', credentials: { accessToken: secret, appSecret: 'another-secret-77' }, settings: { phoneNumberId: '1234', sandbox: false } },
        { name: 'backup', base_url: 'https://backup.example/api' },
      ],
    }, acct.token);
    expect(put.status, put.text).toBe(200);
    const expected = {
      channel: 'whatsApp', updated_at: expect.any(String),
      providers: [
        { name: 'meta', base_url: 'https://graph.facebook.com/v21.0', settings: { phoneNumberId: '1234', sandbox: false }, credential_names: ['accessToken', 'appSecret'] },
        { name: 'backup', base_url: 'https://backup.example/api', settings: {}, credential_names: [] },
      ],
    };
    expect(put.body).toEqual(expected);
    const get = await t.get('/channels/whatsApp', acct.token);
    expect(get.body).toEqual(expected);
    expect(get.text).not.toContain(secret);

    const row = await t.services.storage.db.selectFrom('channel_configs').selectAll().where('account_id', '=', acct.id).executeTakeFirstOrThrow();
    expect(row.providers).not.toContain(secret);
    expect(row.providers).not.toContain('another-secret-77');
    expect(row.providers).not.toContain(Buffer.from(secret).toString('base64'));
    // The service opens them for sending.
    const [meta] = await t.services.messaging.channels.providers(acct.id, 'whatsApp');
    expect(meta?.config?.credentials).toEqual({ accessToken: secret, appSecret: 'another-secret-77' });

    // Sealed to the account: the same ciphertext copied into another account's row does not open.
    const other = await t.newAccount();
    await t.services.storage.db.insertInto('channel_configs').values({ ...row, account_id: other.id }).execute();
    const [copied] = await t.services.messaging.channels.providers(other.id, 'whatsApp');
    expect(copied?.config).toBeUndefined();
    expect(copied?.problem).toContain('cannot be decrypted');
  });

  it('lists the configured channels in the order of the channel ids, credential names only', async () => {
    const acct = await t.newAccount();
    expect((await t.get('/channels', acct.token)).body).toMatchObject({ total: 0, count: 0, _embedded: { channels: [] } });
    await configure(t, acct, 'sms', [provider.endpoint()]);
    await t.put('/channels/whatsApp', { providers: [{ name: 'meta', base_url: 'https://graph.facebook.com/v21.0', credentials: { accessToken: 'secret-token-99' } }] }, acct.token);
    const listed = await t.get('/channels', acct.token);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ total: 2, count: 2, _links: { self: { href: '/channels' } } });
    expect(listed.body._embedded.channels.map((c: { channel: string }) => c.channel)).toEqual(['whatsApp', 'sms']);
    expect(listed.body._embedded.channels[0]).toEqual((await t.get('/channels/whatsApp', acct.token)).body);
    expect(listed.text).not.toContain('secret-token-99');
    expect((await t.get('/channels', (await t.newAccount()).token)).body.total).toBe(0);
  });

  it('validates channel configurations; appMessaging needs none; DELETE removes one', async () => {
    const acct = await t.newAccount();
    const bad = await t.put('/channels/sms', { providers: [{ name: 'a', base_url: 'not a url', credentials: { token: 5 } }, { name: 'a', settings: { nested: {} } }] }, acct.token);
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['providers.0.base_url', 'providers.0.credentials.token', 'providers.1.settings.nested']);
    const dupes = await t.put('/channels/sms', { providers: [{ name: 'a' }, { name: 'a' }] }, acct.token);
    expect(dupes.body.fields).toEqual([{ name: 'providers.1.name', description: expect.any(String) }]);
    expect((await t.put('/channels/sms', { providers: [] }, acct.token)).status).toBe(400);
    expect((await t.put('/channels/pigeon', { providers: [{ name: 'a' }] }, acct.token)).status).toBe(400);
    const app = await t.put('/channels/appMessaging', { providers: [{ name: 'a' }] }, acct.token);
    expect(app.status).toBe(400);
    expect(app.body.fields).toEqual([{ name: 'channel', description: expect.any(String) }]);
    expect((await t.get('/channels/appMessaging', acct.token)).body).toEqual({ channel: 'appMessaging', providers: [], updated_at: null });

    expect((await t.get('/channels/sms', acct.token)).status).toBe(404);
    await configure(t, acct, 'sms', [provider.endpoint()]);
    expect((await t.get('/channels/sms', acct.token)).status).toBe(200);
    expect((await t.delete('/channels/sms', acct.token)).status).toBe(204);
    expect((await t.get('/channels/sms', acct.token)).status).toBe(404);
    expect((await t.delete('/channels/sms', acct.token)).status).toBe(404);
    const readOnly = await t.newAccount(['messages:read']);
    expect((await t.put('/channels/sms', { providers: [{ name: 'a' }] }, readOnly.token)).status).toBe(403);
  });
});
