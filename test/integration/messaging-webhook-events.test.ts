import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { FakeProvider, TEST_ADAPTERS, TEST_WEBHOOKS } from '../support/fake-provider.js';
import { DATABASES, TestApp } from '../support/harness.js';
import { verifyStandardWebhook, WebhookReceiver } from '../support/webhook-receiver.js';
import { configure, send, webhook } from './messaging-support.js';
import { createEndpoint, longLivedAccount } from './webhooks-support.js';

const SECRET = `whsec_${Buffer.from('a-receiver-secret-of-32-bytes!!!').toString('base64')}`;

describe.each(DATABASES)('messaging: status events reach the account\'s webhooks end to end (%s)', (db) => {
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

  it('delivers message.sent, then message.delivered when the provider reports it, signed, with the message as data', async () => {
    const acct = await longLivedAccount(t);
    await configure(t, acct, 'sms', [provider.endpoint(() => ({ status: 200, json: { id: 'pm-end-to-end' } }))]);
    const url = receiver.endpoint(204);
    await createEndpoint(t, acct, { url, events: ['message.*'], secret: SECRET });

    const messageId = await send(t, acct, { to: { phoneNumber: '+14155550100' }, rules: ['sms'] });
    await drain();
    expect((await webhook(t, 'sms', [{ id: 'pm-end-to-end', status: 'delivered' }])).status).toBe(200);
    await drain();
    await drain();

    const received = receiver.at(url);
    expect(received.map((r) => r.body.type)).toEqual(['message.sent', 'message.delivered']);
    for (const request of received) {
      expect(verifyStandardWebhook(SECRET, request)).toBe(true);
      expect(request.body.data).toMatchObject({ messageId });
    }
    expect(received[1]?.body.data).toMatchObject({ status: 'delivered' });
  });

  it('delivers message.failed when no channel takes the message', async () => {
    const acct = await longLivedAccount(t);
    await configure(t, acct, 'sms', [provider.endpoint(() => ({ status: 400, json: { error: 'invalid number' } }))]);
    const url = receiver.endpoint(204);
    await createEndpoint(t, acct, { url, events: ['message.failed'], secret: SECRET });

    const messageId = await send(t, acct, { to: { phoneNumber: '+14155550100' }, rules: ['sms'] });
    await drain();
    await drain();

    const received = receiver.at(url);
    expect(received.map((r) => r.body.type)).toEqual(['message.failed']);
    expect(received[0]?.body.data).toMatchObject({ messageId, status: 'failed' });
  });
});
