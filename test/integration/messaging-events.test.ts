import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { createJobQueue } from '../../src/jobs/index.js';
import { createMessaging, type MessagingServices } from '../../src/domains/messaging/index.js';
import type { EventPublisher } from '../../src/ports/events.js';
import { DATABASES, SIGNING_SECRET, TestApp, type TestAccount } from '../support/harness.js';
import { FakeProvider, TEST_ADAPTERS } from '../support/fake-provider.js';
import { configure } from './messaging-support.js';

const PHONE = '+14155550100';

describe.each(DATABASES)('messaging: webhook events in the transaction of each status change (%s)', (db) => {
  let t: TestApp;
  let provider: FakeProvider;
  let messaging: MessagingServices;
  const clock = new ManualClock();
  const published: { accountId: string; type: string; data: Record<string, unknown>; inTransaction: boolean }[] = [];
  const signal = new AbortController().signal;

  beforeAll(async () => {
    provider = await FakeProvider.start();
    t = await TestApp.start(db, { clock, channelAdapters: TEST_ADAPTERS });
    const events: EventPublisher = {
      publish: (executor, accountId, type, data) => {
        published.push({ accountId, type, data, inTransaction: executor.isTransaction });
        return Promise.resolve();
      },
    };
    const { storage } = t.services;
    // The same domain over the app's database, publishing to a recorder.
    messaging = createMessaging({
      storage, clock, jobs: createJobQueue({ storage, clock }), events, adapters: { ...TEST_ADAPTERS, appMessaging: TEST_ADAPTERS.sms }, webhooks: {},
      countryOf: () => Promise.resolve('US'), credentialsKey: SIGNING_SECRET,
    });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
  });
  const eventsOf = (acct: TestAccount) => published.filter((e) => e.accountId === acct.id);

  it('publishes message.sent, then delivered and read as receipts come, once each', async () => {
    const acct = await t.newAccount();
    await configure(t, acct, 'sms', [provider.endpoint()]);
    const { messageId } = await messaging.messages.send(acct.id, { body: 'hi', to: { phoneNumber: PHONE }, rules: ['sms'], metadata: { order: 'A-1' } });
    expect(eventsOf(acct)).toEqual([]);
    await messaging.delivery.deliver(acct.id, messageId, signal);
    const receipt = (status: 'delivered' | 'read') => messaging.receipts.apply({ accountId: acct.id, messageId, channel: 'sms', status, at: clock.now().toISOString() });
    // Receipts found by the provider's id (what a trusted caller hands over, no signature involved).
    const [delivery] = await t.services.storage.db.selectFrom('message_deliveries').selectAll().where('account_id', '=', acct.id).execute();
    expect(await messaging.receipts.recordReceipts([{ channel: 'sms', providerMessageId: delivery?.provider_message_id ?? '', status: 'delivered', at: clock.now().toISOString() }, { channel: 'sms', providerMessageId: 'unknown', status: 'read', at: clock.now().toISOString() }])).toEqual({ applied: 1, unknown: 1 });
    expect(await receipt('read')).toBe(true);
    expect(await receipt('delivered')).toBe(false);
    expect(eventsOf(acct).map((e) => e.type)).toEqual(['message.sent', 'message.delivered', 'message.read']);
    expect(eventsOf(acct).every((e) => e.inTransaction)).toBe(true);
    expect(eventsOf(acct)[0]?.data).toEqual({ messageId, status: 'sent', channel: 'sms', metadata: { order: 'A-1' }, occurredOn: expect.any(String) });
  });

  it('publishes message.failed when no channel takes it, and message.expired when it expires unsent', async () => {
    const acct = await t.newAccount();
    const failed = await messaging.messages.send(acct.id, { body: 'hi', to: { email: 'a@b.co' }, rules: ['email'] });
    await messaging.delivery.deliver(acct.id, failed.messageId, signal);
    const expiring = await messaging.messages.send(acct.id, { body: 'hi', to: { phoneNumber: PHONE }, rules: ['sms'], expiresOn: new Date(clock.now().getTime() + 1000).toISOString() });
    clock.advance(1000);
    await messaging.delivery.expire(acct.id, expiring.messageId);
    await messaging.delivery.deliver(acct.id, expiring.messageId, signal);
    expect(eventsOf(acct).map((e) => [e.type, e.data.messageId])).toEqual([['message.failed', failed.messageId], ['message.expired', expiring.messageId]]);
  });

  it('fails a message whose send job gave up, rather than leave it processing', async () => {
    const acct = await t.newAccount();
    const { messageId } = await messaging.messages.send(acct.id, { body: 'hi', to: { phoneNumber: PHONE }, rules: ['sms'] });
    await messaging.delivery.giveUp(acct.id, messageId, 'database unreachable');
    expect((await messaging.messages.get(acct.id, messageId)).status).toBe('failed');
    expect(eventsOf(acct).map((e) => e.type)).toEqual(['message.failed']);
  });
});
