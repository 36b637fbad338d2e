import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { eventually } from '../support/eventually.js';
import { FakeProvider, TEST_ADAPTERS, TEST_WEBHOOKS } from '../support/fake-provider.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { configure, message, send, trail, webhook } from './messaging-support.js';
import { createEndpoint } from './webhooks-support.js';

const PHONE = '+14155550100';
const WA = '14155550100';

describe.each(DATABASES)('messaging: waiting for a receipt before the next channel (%s)', (db) => {
  let t: TestApp;
  let provider: FakeProvider;
  let receiver: WebhookReceiver;
  const clock = new ManualClock();
  beforeAll(async () => {
    provider = await FakeProvider.start();
    receiver = await WebhookReceiver.start();
    t = await TestApp.start(db, { clock, channelAdapters: TEST_ADAPTERS, channelWebhooks: TEST_WEBHOOKS });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
    await receiver.close();
  });
  const drain = () => t.app.worker.drain();

  async function account(): Promise<TestAccount & { wa: string; sms: string; waId: string }> {
    const acct = await t.newAccount();
    const waId = `wamid-${acct.id}`;
    const wa = provider.endpoint(() => ({ status: 200, json: { id: waId } }));
    const sms = provider.endpoint();
    await configure(t, acct, 'whatsApp', [wa]);
    await configure(t, acct, 'sms', [sms]);
    return { ...acct, wa, sms, waId };
  }
  const sendWaiting = (acct: TestAccount, until = 'delivered', extra: Record<string, unknown> = {}) =>
    send(t, acct, { to: { whatsAppId: WA, phoneNumber: PHONE }, rules: [{ channel: 'whatsApp', until, within_s: 120 }, 'sms'], channelOptions: { whatsApp: { template: { name: 'hello' } } }, ...extra });
  const escalationJob = (acct: TestAccount) => t.services.storage.db.selectFrom('jobs').select(['run_at', 'type']).where('account_id', '=', acct.id).where('type', '=', 'message.escalate').executeTakeFirst();

  it('tries the next channel when the receipt does not come within within_s (a durable timer), and records a late receipt without sending again', async () => {
    const acct = await account();
    const url = receiver.endpoint();
    await createEndpoint(t, acct, { url, events: ['message.delivered'] });
    const id = await sendWaiting(acct);
    await drain();
    expect((await message(t, acct, id)).status).toBe('sent');
    expect(Date.parse(String((await escalationJob(acct))?.run_at))).toBe(clock.now().getTime() + 120_000);

    clock.advance(119_000);
    await drain();
    expect(provider.received(acct.sms)).toHaveLength(0);
    clock.advance(1_000);
    await drain();
    const escalated = await message(t, acct, id);
    expect(trail(escalated)).toEqual(['whatsApp/whatsApp-1:accepted', 'whatsApp:timed_out', 'sms/sms-1:accepted']);
    expect(escalated.attempts[1].details).toBe('no delivered receipt within 120 s; trying the next channel');
    expect(escalated.statusDetails.channelStatus).toMatchObject({ whatsApp: { status: 'sent' }, sms: { status: 'sent' } });
    expect(provider.received(acct.sms)).toHaveLength(1);

    // WhatsApp's receipt comes late: recorded, and nothing is sent again.
    expect((await webhook(t, 'whatsApp', [{ id: acct.waId, status: 'delivered' }])).body.applied).toBe(1);
    await drain();
    clock.advance(600_000);
    await drain();
    const late = await message(t, acct, id);
    expect(late.status).toBe('delivered');
    expect(late.statusDetails.channelStatus.whatsApp.status).toBe('delivered');
    expect(late.attempts).toHaveLength(3);
    expect(provider.received(acct.wa)).toHaveLength(1);
    expect(provider.received(acct.sms)).toHaveLength(1);
    // The event names the channel the receipt came from, not the one the send moved on to, and so does the list's filter.
    expect(receiver.eventsAt(url).map((e) => [e.type, e.data.channel])).toEqual([['message.delivered', 'whatsApp']]);
    expect((await t.get('/messages?channel=whatsApp', acct.token)).body._embedded.messages.map((m: { messageId: string }) => m.messageId)).toEqual([id]);
    expect((await t.get('/messages?channel=sms', acct.token)).body.total).toBe(0);
  });

  it('sends nothing more when the receipt comes in time, and cancels the timer', async () => {
    const acct = await account();
    const id = await sendWaiting(acct);
    await drain();
    clock.advance(60_000);
    await webhook(t, 'whatsApp', [{ id: acct.waId, status: 'delivered' }]);
    expect(await escalationJob(acct)).toBeUndefined();
    clock.advance(120_000);
    await drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('delivered');
    expect(trail(view)).toEqual(['whatsApp/whatsApp-1:accepted']);
    expect(provider.received(acct.sms)).toHaveLength(0);
  });

  it('waits for read when told to: delivered alone does not stop the escalation', async () => {
    const acct = await account();
    const id = await sendWaiting(acct, 'read');
    await drain();
    await webhook(t, 'whatsApp', [{ id: acct.waId, status: 'delivered' }]);
    clock.advance(120_000);
    await drain();
    const view = await message(t, acct, id);
    expect(trail(view)).toEqual(['whatsApp/whatsApp-1:accepted', 'whatsApp:timed_out', 'sms/sms-1:accepted']);
    expect(view.attempts[1].details).toBe('no read receipt within 120 s; trying the next channel');
    expect(view.status).toBe('delivered');
  });

  /** WhatsApp, then SMS, each waited on, then email. */
  async function sendChain(acct: TestAccount & { wa: string; sms: string }) {
    const email = provider.endpoint();
    await configure(t, acct, 'email', [email]);
    const id = await send(t, acct, {
      to: { whatsAppId: WA, phoneNumber: PHONE, email: 'ann@example.com' },
      rules: [{ channel: 'whatsApp', until: 'delivered', within_s: 120 }, { channel: 'sms', until: 'delivered', within_s: 60 }, 'email'],
      channelOptions: { whatsApp: { template: { name: 'hello' } } },
    });
    await drain();
    return { id, email };
  }

  it("escalates rule after rule: the timer of one rule starts the next rule's", async () => {
    const acct = await account();
    const { id, email } = await sendChain(acct);
    clock.advance(120_000);
    await drain();
    expect(provider.received(acct.sms)).toHaveLength(1);
    clock.advance(60_000);
    await drain();
    const view = await message(t, acct, id);
    expect(trail(view)).toEqual(['whatsApp/whatsApp-1:accepted', 'whatsApp:timed_out', 'sms/sms-1:accepted', 'sms:timed_out', 'email/email-1:accepted']);
    expect(provider.received(email)).toHaveLength(1);
  });

  it("tries no further channel once an earlier channel's late receipt says the customer has the message", async () => {
    const acct = await account();
    const { id, email } = await sendChain(acct);
    clock.advance(120_000);
    await drain();
    expect(provider.received(acct.sms)).toHaveLength(1);
    // WhatsApp's delivery comes while the send waits on SMS: the customer has it.
    expect((await webhook(t, 'whatsApp', [{ id: acct.waId, status: 'delivered' }])).body.applied).toBe(1);
    await drain();
    expect(await escalationJob(acct)).toBeUndefined();
    clock.advance(60_000);
    await drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('delivered');
    expect(trail(view)).toEqual(['whatsApp/whatsApp-1:accepted', 'whatsApp:timed_out', 'sms/sms-1:accepted']);
    expect(provider.received(email)).toHaveLength(0);
  });

  it('does not escalate past expiresOn: the message keeps the channel that took it', async () => {
    const acct = await account();
    const id = await sendWaiting(acct, 'delivered', { expiresOn: new Date(clock.now().getTime() + 60_000).toISOString() });
    await drain();
    clock.advance(60_000);
    await drain();
    clock.advance(60_000);
    await drain();
    const view = await message(t, acct, id);
    expect(view.status).toBe('sent');
    expect(trail(view)).toEqual(['whatsApp/whatsApp-1:accepted']);
    expect(provider.received(acct.sms)).toHaveLength(0);
    expect(await escalationJob(acct)).toBeUndefined();
  });
});

describe.each(DATABASES)('messaging: fallback latency on the system clock (%s)', (db) => {
  let t: TestApp;
  let provider: FakeProvider;
  beforeAll(async () => {
    provider = await FakeProvider.start();
    t = await TestApp.start(db, { channelAdapters: TEST_ADAPTERS }, { SWITCHBOARD_WORKER: 'true' });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
  });

  it('offers the message to the next channel within 100 ms of a rejection, without waiting for a drain', async () => {
    const acct = await t.newAccount();
    const fb = provider.endpoint(() => ({ status: 400, json: { error: 'no such user' } }));
    const sms = provider.endpoint();
    await configure(t, acct, 'fbMessenger', [fb]);
    await configure(t, acct, 'sms', [sms]);
    const id = await send(t, acct, { to: { fbMessengerId: 'psid', phoneNumber: PHONE }, rules: ['fbMessenger', 'sms'] });
    const deadline = Date.now() + 5000;
    while (provider.received(sms).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    const [rejected] = provider.received(fb);
    const [next] = provider.received(sms);
    expect(rejected).toBeDefined();
    expect(next).toBeDefined();
    expect((next?.at ?? Infinity) - (rejected?.at ?? 0)).toBeLessThan(100);
    const view = await eventually(async () => {
      const current = await message(t, acct, id);
      expect(current.status).toBe('sent');
      return current;
    });
    expect(trail(view)).toEqual(['fbMessenger/fbMessenger-1:rejected', 'sms/sms-1:accepted']);
  });
});
