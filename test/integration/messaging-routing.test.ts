import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { FakeProvider, TEST_ADAPTERS, TEST_WEBHOOKS } from '../support/fake-provider.js';
import { configure, message, send, trail, webhook } from './messaging-support.js';
import { messagesRepo, toMessage } from '../../src/domains/messaging/messaging.repo.js';

const PHONE = '+14155550100';
const HOUR_MS = 3600_000;

describe.each(DATABASES)('messaging: channel fallback in rules order (%s)', (db) => {
  let t: TestApp;
  let provider: FakeProvider;
  const clock = new ManualClock();
  beforeAll(async () => {
    provider = await FakeProvider.start();
    t = await TestApp.start(db, { clock, channelAdapters: TEST_ADAPTERS, channelWebhooks: TEST_WEBHOOKS });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
  });
  const drain = () => t.app.worker.drain();

  /** Changes the message as another node would (an attempt added, `updated_at` moved on), written directly. */
  async function changeAsAnotherWriter(id: string, seen?: { attempts: unknown[]; updatedOn: string }): Promise<void> {
    const { db } = t.services.storage;
    let row = seen;
    if (!row) {
      const stored = await db.selectFrom('messages').select(['attempts', 'updated_at']).where('id', '=', id).executeTakeFirstOrThrow();
      row = { attempts: JSON.parse(stored.attempts) as unknown[], updatedOn: stored.updated_at };
    }
    const attempts = [...row.attempts, { channel: 'email', provider: null, outcome: 'skipped', details: 'written by another writer', at: row.updatedOn }];
    await db.updateTable('messages').set({ attempts: JSON.stringify(attempts), updated_at: new Date(Date.parse(row.updatedOn) + 5).toISOString() }).where('id', '=', id).execute();
  }

  /** An account with every provider channel configured on stand-in providers that accept. */
  async function account(): Promise<TestAccount & { urls: Record<string, string> }> {
    const acct = await t.newAccount();
    const urls: Record<string, string> = {};
    for (const channel of ['fbMessenger', 'whatsApp', 'sms', 'email']) {
      urls[channel] = provider.endpoint();
      await configure(t, acct, channel, [urls[channel] ?? '']);
    }
    return { ...acct, urls };
  }

  it('skips each channel it cannot use, with the reason, and sends on the first that works', async () => {
    const acct = await account();
    await t.put('/profiles/cust-1', { email: 'c@d.co', opt_outs: ['sms'], whatsapp_id: '14155550100', last_inbound_whatsapp_at: new Date(clock.now().getTime() - 25 * HOUR_MS).toISOString() }, acct.token);
    const id = await send(t, acct, { to: { profileId: 'cust-1', phoneNumber: PHONE }, rules: ['appMessaging', 'fbMessenger', 'whatsApp', 'sms', 'email'] });
    await drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('sent');
    const details = Object.fromEntries(Object.entries(view.statusDetails.channelStatus).map(([channel, state]) => [channel, [(state as any).status, (state as any).details]]));
    expect(details).toEqual({
      appMessaging: ['skipped', 'no app installation for profile cust-1'],
      fbMessenger: ['skipped', 'no fbMessengerId'],
      whatsApp: ['skipped', `24-hour customer service window closed (last inbound WhatsApp message: ${new Date(clock.now().getTime() - 25 * HOUR_MS).toISOString()}) and no template given`],
      sms: ['skipped', 'customer opted out of sms'],
      email: ['sent', expect.stringContaining('accepted by provider "email-1"')],
    });
    // The email address came from the profile.
    expect(provider.received(acct.urls.email ?? '').map((r) => r.body.to)).toEqual(['c@d.co']);
    expect(provider.received(acct.urls.sms ?? '')).toHaveLength(0);
    expect(trail(view)).toEqual(['appMessaging:skipped', 'fbMessenger:skipped', 'whatsApp:skipped', 'sms:skipped', 'email/email-1:accepted']);
  });

  it('keeps a change another writer made while a channel was offered the message, and goes on from it', async () => {
    const acct = await t.newAccount();
    const sms = provider.endpoint();
    let id = '';
    // While WhatsApp is deciding, something else changes the message (here written directly, as another node's receipt would).
    const whatsApp = provider.endpoint(async () => {
      await changeAsAnotherWriter(id);
      return { status: 400, json: { error: 'undeliverable' } };
    });
    await configure(t, acct, 'whatsApp', [whatsApp]);
    await configure(t, acct, 'sms', [sms]);
    id = await send(t, acct, { to: { whatsAppId: '14155550100', phoneNumber: PHONE }, rules: ['whatsApp', 'sms'], channelOptions: { whatsApp: { template: { name: 'order_shipped', language: 'en' } } } });
    await drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('sent');
    expect(trail(view)).toEqual(['email:skipped', 'whatsApp/whatsApp-1:rejected', 'sms/sms-1:accepted']);
    expect(provider.received(sms)).toHaveLength(1);
  });

  it('records an acceptance on top of a change another writer made while the channel was offered the message', async () => {
    const acct = await t.newAccount();
    let id = '';
    let providerId = '';
    // The acceptance is written without reading the row under its lock first: a change that came
    // meanwhile makes that write miss, and the acceptance is recorded again on the locked row.
    const sms = provider.endpoint(async () => {
      await changeAsAnotherWriter(id);
      providerId = `pm-${id}`;
      return { status: 200, json: { id: providerId } };
    });
    await configure(t, acct, 'sms', [sms]);
    id = await send(t, acct, { to: { phoneNumber: PHONE }, rules: ['sms'] });
    await drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('sent');
    expect(trail(view)).toEqual(['email:skipped', 'sms/sms-1:accepted']);
    // The provider id was recorded once: its receipt finds the message.
    expect((await webhook(t, 'sms', [{ id: providerId, status: 'delivered' }])).body).toMatchObject({ applied: 1 });
    expect((await message(t, acct, id)).status).toBe('delivered');
    expect(provider.received(sms)).toHaveLength(1);
    expect(await t.services.storage.db.selectFrom('jobs').select('id').where('account_id', '=', acct.id).where('type', '=', 'message.send').execute()).toEqual([]);
  });

  it('skips a channel the account has not configured, and sends WhatsApp with a template or inside the window', async () => {
    const acct = await t.newAccount();
    const url = provider.endpoint();
    await configure(t, acct, 'whatsApp', [url]);
    const unconfigured = await send(t, acct, { to: { email: 'a@b.co', whatsAppId: '14155550100' }, rules: ['email', 'whatsApp'], channelOptions: { whatsApp: { template: { name: 'order_shipped', language: 'en' } } } });
    await t.put('/profiles/recent', { last_inbound_whatsapp_at: new Date(clock.now().getTime() - 23 * HOUR_MS).toISOString() }, acct.token);
    const inWindow = await send(t, acct, { to: { profileId: 'recent', whatsAppId: '14155550101' }, rules: ['whatsApp'] });
    await drain();
    const first = await message(t, acct, unconfigured);
    expect(first.statusDetails.channelStatus.email).toMatchObject({ status: 'skipped', details: 'email is not configured for this account' });
    expect(first.statusDetails.channelStatus.whatsApp.status).toBe('sent');
    expect((await message(t, acct, inWindow)).status).toBe('sent');
    // The two sends run side by side: compare in address order.
    expect(provider.received(url).map((r) => [r.body.to, r.body.options]).sort()).toEqual([
      ['14155550100', { template: { name: 'order_shipped', language: 'en' } }],
      ['14155550101', {}],
    ]);
  });

  it('moves on to the next channel when one rejects or fails, in the same run', async () => {
    const acct = await account();
    provider.script(acct.urls.fbMessenger ?? '', () => ({ status: 400, json: { error: 'recipient unknown' } }));
    provider.script(acct.urls.whatsApp ?? '', () => ({ status: 503, json: { error: 'maintenance' } }));
    const id = await send(t, acct, { to: { fbMessengerId: 'psid-1', whatsAppId: '14155550100', phoneNumber: PHONE }, rules: ['fbMessenger', 'whatsApp', 'sms'], channelOptions: { whatsApp: { template: { name: 't' } } } });
    expect(await drain()).toBe(1);
    const view = await message(t, acct, id);
    expect(view.status).toBe('sent');
    expect(view.statusDetails.channelStatus.fbMessenger).toMatchObject({ status: 'rejected', details: 'rejected by provider "fbMessenger-1": recipient unknown', provider: 'fbMessenger-1' });
    expect(view.statusDetails.channelStatus.whatsApp).toMatchObject({ status: 'failed', details: 'failed by provider "whatsApp-1": maintenance' });
    expect(view.statusDetails.channelStatus.sms).toMatchObject({ status: 'sent', provider: 'sms-1' });
    expect(trail(view)).toEqual(['fbMessenger/fbMessenger-1:rejected', 'whatsApp/whatsApp-1:failed', 'sms/sms-1:accepted']);
  });

  it('fails the message, listing every attempt, when no channel takes it', async () => {
    const acct = await account();
    provider.script(acct.urls.sms ?? '', () => ({ status: 422, json: { error: 'invalid number' } }));
    provider.script(acct.urls.email ?? '', () => 'drop');
    const id = await send(t, acct, { to: { phoneNumber: PHONE, email: 'a@b.co' }, rules: ['appMessaging', 'sms', 'email'] });
    await drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('failed');
    expect(trail(view)).toEqual(['appMessaging:skipped', 'sms/sms-1:rejected', 'email/email-1:failed']);
    expect(view.attempts.map((a: { details: string }) => a.details)).toEqual(['no profileId', 'rejected by provider "sms-1": invalid number', expect.stringMatching(/^failed by provider "email-1": /)]);
    expect(view.attempts.every((a: { at: string }) => typeof a.at === 'string')).toBe(true);
    // Nothing is left to run for it.
    expect(await drain()).toBe(0);
    const skippedOnly = await send(t, acct, { to: { profileId: 'nobody' }, rules: ['sms', 'email'] });
    await drain();
    expect(await message(t, acct, skippedOnly)).toMatchObject({ status: 'failed', statusDetails: { channelStatus: { sms: { status: 'skipped', details: 'no phoneNumber' }, email: { status: 'skipped', details: 'no email' } } } });
  });

  it('applies a receipt read before another change on top of that change, and a duplicate not at all', async () => {
    const acct = await account();
    const id = await send(t, acct, { to: { phoneNumber: PHONE }, rules: ['sms'] });
    await drain();
    const { db, dialect } = t.services.storage;
    const seen = toMessage((await messagesRepo(db, dialect).find(acct.id, id)) ?? expect.fail('no message'));
    // Another writer changes the message after the receipt's lookup read it.
    await changeAsAnotherWriter(id, seen);
    const { receipts } = t.services.messaging;
    const receipt = { accountId: acct.id, messageId: id, channel: 'sms' as const, status: 'delivered' as const, at: '2026-11-23T09:00:00.000Z', seen };
    expect(await receipts.apply(receipt)).toBe(true);
    const view = await message(t, acct, id);
    expect(view.status).toBe('delivered');
    expect(trail(view)).toEqual(['sms/sms-1:accepted', 'email:skipped']);
    // The same receipt again, with the message as it is now: nothing changes.
    const now = toMessage((await messagesRepo(db, dialect).find(acct.id, id)) ?? expect.fail('no message'));
    expect(await receipts.apply({ ...receipt, seen: now })).toBe(false);
    expect((await message(t, acct, id)).statusDetails.channelStatus.sms.status).toBe('delivered');
  });

  it('applies signed receipts and never moves a status backwards', async () => {
    const acct = await account();
    provider.script(acct.urls.sms ?? '', () => ({ status: 200, json: { id: `sm-${acct.id}` } }));
    const id = await send(t, acct, { to: { phoneNumber: PHONE }, rules: ['sms'] });
    await drain();
    const providerId = `sm-${acct.id}`;

    // A receipt whose signature does not verify is refused and changes nothing.
    const forged = await webhook(t, 'sms', [{ id: providerId, status: 'read' }], 'wrong-secret');
    expect(forged.status).toBe(401);
    expect((await message(t, acct, id)).status).toBe('sent');

    expect((await webhook(t, 'sms', [{ id: providerId, status: 'read' }])).body).toEqual({ received: 1, applied: 1, unknown: 0, pending: 0, inbound: 0 });
    const late = await webhook(t, 'sms', [{ id: providerId, status: 'delivered' }, { id: 'not-ours', status: 'delivered' }]);
    expect(late.status).toBe(200);
    expect(late.body).toEqual({ received: 2, applied: 0, unknown: 1, pending: 1, inbound: 0 });
    const view = await message(t, acct, id);
    expect(view.status).toBe('read');
    expect(view.statusDetails.channelStatus.sms).toMatchObject({ status: 'read', details: expect.stringContaining('read (reported') });
    expect((await webhook(t, 'sms', [{ id: providerId, status: 'failed' }])).body.applied).toBe(0);
    expect((await message(t, acct, id)).status).toBe('read');
    expect((await webhook(t, 'appMessaging', [])).status).toBe(404);
    expect((await webhook(t, 'pigeon', [])).status).toBe(404);
  });

  it("sends on to the next channel when the channel that took the message reports it failed", async () => {
    const acct = await account();
    provider.script(acct.urls.sms ?? '', () => ({ status: 200, json: { id: `lost-${acct.id}` } }));
    const id = await send(t, acct, { to: { phoneNumber: PHONE, email: 'a@b.co' }, rules: ['sms', 'email'] });
    await drain();
    expect((await message(t, acct, id)).status).toBe('sent');
    expect(provider.received(acct.urls.email ?? '')).toHaveLength(0);
    expect((await webhook(t, 'sms', [{ id: `lost-${acct.id}`, status: 'failed' }])).body.applied).toBe(1);
    await drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('sent');
    expect(view.statusDetails.channelStatus.sms.status).toBe('failed');
    expect(view.statusDetails.channelStatus.email.status).toBe('sent');
    expect(provider.received(acct.urls.email ?? '')).toHaveLength(1);
    // The failure the provider reported later is an attempt like the others.
    expect(trail(view)).toEqual(['sms/sms-1:accepted', 'sms/sms-1:failed', 'email/email-1:accepted']);
    expect(view.attempts[1].details).toMatch(/^failed \(reported /);
  });

  it('expires a message not sent by expiresOn instead of sending it', async () => {
    const acct = await account();
    const expiresOn = new Date(clock.now().getTime() + 60_000).toISOString();
    const id = await send(t, acct, { to: { phoneNumber: PHONE }, rules: ['sms'], expiresOn });
    // Its send job has not run (no worker here) when the time comes.
    clock.advance(61_000);
    await drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('expired');
    expect(view.attempts).toEqual([]);
    expect(provider.received(acct.urls.sms ?? '')).toHaveLength(0);
    // One sent in time stays sent when its expiry comes.
    const sent = await send(t, acct, { to: { phoneNumber: PHONE }, rules: ['sms'], expiresOn: new Date(clock.now().getTime() + 60_000).toISOString() });
    await drain();
    clock.advance(61_000);
    await drain();
    expect((await message(t, acct, sent)).status).toBe('sent');
  });

  it('offers an expired message to no further provider of its channel, and expires it', async () => {
    const acct = await t.newAccount();
    // The first provider fails after the message's expiry has come (its answer took that long).
    const late = provider.endpoint(() => {
      clock.advance(61_000);
      return { status: 500, json: { error: 'down' } };
    });
    const backup = provider.endpoint();
    await configure(t, acct, 'sms', [late, backup]);
    const id = await send(t, acct, { to: { phoneNumber: PHONE }, rules: ['sms'], expiresOn: new Date(clock.now().getTime() + 60_000).toISOString() });
    await drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('expired');
    expect(trail(view)).toEqual(['sms/sms-1:failed']);
    expect(view.statusDetails.channelStatus.sms.details).toContain('the message expired before another provider was tried');
    expect(provider.received(backup)).toHaveLength(0);
  });

  it("never lets one account's receipt or message touch another's", async () => {
    const a = await account();
    const b = await account();
    provider.script(a.urls.sms ?? '', () => ({ status: 200, json: { id: 'shared-provider-id' } }));
    provider.script(b.urls.sms ?? '', () => ({ status: 200, json: { id: 'shared-provider-id' } }));
    const ma = await send(t, a, { to: { phoneNumber: PHONE }, rules: ['sms'] });
    const mb = await send(t, b, { to: { phoneNumber: PHONE }, rules: ['sms'] });
    await drain();
    expect((await t.get(`/messages/${ma}`, b.token)).status).toBe(404);
    // B's provider signs with its own secret: B's receipt reaches B's message only, even when A's provider used the same id.
    await configure(t, b, 'sms', [b.urls.sms ?? ''], { appSecret: 'b-only-secret-0123456789' });
    expect((await webhook(t, 'sms', [{ id: 'shared-provider-id', status: 'delivered' }], 'b-only-secret-0123456789')).body).toEqual({ received: 1, applied: 1, unknown: 0, pending: 0, inbound: 0 });
    expect((await message(t, a, ma)).status).toBe('sent');
    expect((await message(t, b, mb)).status).toBe('delivered');
    expect((await webhook(t, 'sms', [{ id: 'shared-provider-id', status: 'read' }], 'nobody-s-secret')).status).toBe(401);
  });
});

describe.each(DATABASES)('messaging: provider failover and circuit breaker (%s)', (db) => {
  let t: TestApp;
  let provider: FakeProvider;
  const clock = new ManualClock();
  beforeAll(async () => {
    provider = await FakeProvider.start();
    t = await TestApp.start(db, { clock, channelAdapters: TEST_ADAPTERS, circuitBreaker: { failureThreshold: 3, coolDownMs: 60_000 } });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
  });

  it("uses a channel's next provider when one fails, skips a failing one while it cools down, and shows it in details and /metrics", async () => {
    const acct = await t.newAccount();
    const primary = provider.endpoint(() => ({ status: 500, json: { error: 'down' } }));
    const backup = provider.endpoint();
    await configure(t, acct, 'sms', [primary, backup]);
    const sendOne = async () => {
      const id = await send(t, acct, { to: { phoneNumber: PHONE }, rules: ['sms'] });
      await t.app.worker.drain();
      return message(t, acct, id);
    };
    for (let i = 0; i < 3; i += 1) {
      const view = await sendOne();
      expect(view.status).toBe('sent');
      expect(trail(view)).toEqual(['sms/sms-1:failed', 'sms/sms-2:accepted']);
      expect(view.statusDetails.channelStatus.sms).toMatchObject({ provider: 'sms-2', details: expect.stringContaining('after 1 other provider failed or were skipped') });
    }
    expect(provider.received(primary)).toHaveLength(3);
    expect((await sendOne()).attempts[0].details).toMatch(/^provider "sms-1" skipped: failing, cooling down until /);
    const skipping = await sendOne();
    expect(trail(skipping)).toEqual(['sms/sms-1:skipped', 'sms/sms-2:accepted']);
    expect(provider.received(primary)).toHaveLength(3);

    const metrics = (await t.get('/metrics')).text;
    expect(metrics).toMatch(/switchboard_message_provider_circuits_opened_total 1/);
    expect(metrics).toMatch(/switchboard_message_provider_circuits_open 1/);
    expect(metrics).toMatch(/switchboard_message_provider_switches_total\{channel="sms"\} 5/);
    expect(metrics).toMatch(/switchboard_message_attempts_total\{channel="sms",outcome="failed"\} 3/);
    expect(metrics).toMatch(/switchboard_message_attempts_total\{channel="sms",outcome="skipped"\} 2/);

    // After the cool-down the primary gets one trial; it recovered, so it is used again.
    provider.script(primary, () => ({ status: 200, json: { id: 'back' } }));
    clock.advance(60_000);
    expect(trail(await sendOne())).toEqual(['sms/sms-1:accepted']);
    expect((await t.get('/metrics')).text).toMatch(/switchboard_message_provider_circuits_open 0/);
  });

  it('fails the channel when every provider fails, then the message moves to the next channel', async () => {
    const acct = await t.newAccount();
    const broken = [provider.endpoint(() => ({ status: 502 })), provider.endpoint(() => 'drop')];
    await configure(t, acct, 'sms', broken);
    const mail = provider.endpoint();
    await configure(t, acct, 'email', [mail]);
    const id = await send(t, acct, { to: { phoneNumber: PHONE, email: 'a@b.co' }, rules: ['sms', 'email'] });
    await t.app.worker.drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('sent');
    expect(trail(view)).toEqual(['sms/sms-1:failed', 'sms/sms-2:failed', 'email/email-1:accepted']);
    expect(view.statusDetails.channelStatus.sms.status).toBe('failed');
  });
});
