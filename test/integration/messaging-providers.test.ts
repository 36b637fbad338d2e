import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioSignature } from '../../src/adapters/channels/sms/index.js';
import { DATABASES, TestApp } from '../support/harness.js';
import { FakeProvider } from '../support/fake-provider.js';
import { message, send } from './messaging-support.js';

const CALLBACK = 'https://switchboard.example/webhooks/sms';

describe.each(DATABASES)('messaging through the built-in provider adapters (%s)', (db) => {
  let t: TestApp;
  let twilio: FakeProvider;
  beforeAll(async () => {
    twilio = await FakeProvider.start();
    // No adapter overrides: the adapters and status webhooks app.ts wires.
    t = await TestApp.start(db);
  });
  afterAll(async () => {
    await t.close();
    await twilio.close();
  });

  it('sends an SMS through a Twilio-compatible API and applies its signed status callback', async () => {
    const acct = await t.newAccount();
    const baseUrl = twilio.endpoint(() => ({ status: 201, json: { sid: `SM${acct.id.replaceAll('-', '')}`, status: 'queued' } }));
    const configured = await t.put('/channels/sms', { providers: [{ name: 'twilio', base_url: baseUrl, credentials: { accountSid: 'AC123', authToken: 'twilio-auth-token' }, settings: { from: '+14155550199', statusCallbackUrl: CALLBACK } }] }, acct.token);
    expect(configured.status, configured.text).toBe(200);
    const id = await send(t, acct, { to: { phoneNumber: '+14155550100' }, rules: ['sms'] });
    await t.app.worker.drain();
    const sent = await message(t, acct, id);
    expect(sent.statusDetails.channelStatus.sms).toMatchObject({ status: 'sent', provider: 'twilio' });
    expect(twilio.received(baseUrl)[0]?.body).toMatchObject({ To: '+14155550100', From: '+14155550199', Body: 'Your order shipped', StatusCallback: CALLBACK });

    const params = new URLSearchParams({ MessageSid: `SM${acct.id.replaceAll('-', '')}`, MessageStatus: 'delivered', AccountSid: 'AC123' });
    const post = (signature: string) => t.request('POST', '/webhooks/sms', { raw: params.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } });
    expect((await post('forged')).status).toBe(401);
    const accepted = await post(twilioSignature('twilio-auth-token', CALLBACK, params));
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body).toEqual({ received: 1, applied: 1, unknown: 0, pending: 0, inbound: 0 });
    expect((await message(t, acct, id)).status).toBe('delivered');
  });

  it('checks a status callback against the public URL a proxy forwarded, when told to trust it (SWITCHBOARD_TRUST_PROXY)', async () => {
    const proxied = await TestApp.start(db, {}, { SWITCHBOARD_TRUST_PROXY: 'true' });
    try {
      for (const app of [t, proxied]) {
        const acct = await app.newAccount();
        // No statusCallbackUrl: the URL is the one the request reached, as the proxy says.
        const configured = await app.put('/channels/sms', { providers: [{ name: 'twilio', base_url: twilio.endpoint(), credentials: { accountSid: 'AC123', authToken: 'twilio-auth-token' }, settings: { from: '+14155550199' } }] }, acct.token);
        expect(configured.status, configured.text).toBe(200);
        const params = new URLSearchParams({ MessageSid: 'SM-never-sent', MessageStatus: 'delivered', AccountSid: 'AC123' });
        const signature = twilioSignature('twilio-auth-token', `https://sb.example.com/webhooks/sms/${acct.id}`, params);
        const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'sb.example.com' };
        const posted = await app.request('POST', `/webhooks/sms/${acct.id}`, { raw: params.toString(), headers });
        expect(posted.status, posted.text).toBe(app === proxied ? 200 : 401);
      }
    } finally {
      await proxied.close();
    }
  });
});
