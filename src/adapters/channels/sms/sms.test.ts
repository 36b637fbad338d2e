import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../kernel/clock.js';
import { json, refusedUrl, startTestHttpServer, type Reply, type TestHttpServer } from '../../../domains/flows/runtime/test-http-server.js';
import { noAbort, outbound, outcome, provider } from '../../../../test/support/providers/messages.js';
import { createSmsAdapter, createSmsWebhook, smsAdapter, smsWebhook, twilioSignature } from './index.js';

let server: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function messagesApi(reply: Reply): Promise<TestHttpServer> {
  server = await startTestHttpServer(() => reply);
  return server;
}

const accountSid = 'AC0123456789abcdef0123456789abcdef';
const sms = (baseUrl: string, settings: Record<string, string> = { from: '+15005550006' }) =>
  provider({ baseUrl, credentials: { accountSid, authToken: 'twilio-auth-token' }, settings });

const created = json(201, { sid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f', status: 'queued', to: '+447123123123', body: 'Your order shipped' });
const twilioError = (status: number, code: number, message: string): Reply => json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

describe('sms adapter (Twilio Messages API)', () => {
  it('posts the form to /2010-04-01/Accounts/{sid}/Messages.json with HTTP Basic auth and answers the sid', async () => {
    const api = await messagesApi(created);
    const p = sms(api.url, { from: '+15005550006', statusCallbackUrl: 'https://switchboard.example/webhooks/sms' });
    const result = await smsAdapter.send(outbound({ to: '+447123123123' }), p, noAbort());
    expect(result).toEqual({ kind: 'accepted', providerMessageId: 'SM1f0e8ae6ade43cb3c0ce4525424e404f', details: 'status queued' });
    const [request] = api.received;
    expect(request).toMatchObject({ method: 'POST', url: `/2010-04-01/Accounts/${accountSid}/Messages.json` });
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${accountSid}:twilio-auth-token`).toString('base64')}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      To: '+447123123123',
      From: '+15005550006',
      Body: 'Your order shipped',
      StatusCallback: 'https://switchboard.example/webhooks/sms',
    });
  });

  it('signs in with an API key when one is configured, the account SID still naming the account', async () => {
    const api = await messagesApi(created);
    const keyed = provider({ baseUrl: api.url, credentials: { accountSid, apiKeySid: 'SK0123456789abcdef0123456789abcdef', apiKeySecret: 'key-secret' }, settings: { from: '+15005550006' } });
    expect((await smsAdapter.send(outbound(), keyed, noAbort())).kind).toBe('accepted');
    const [request] = api.received;
    expect(request?.url).toBe(`/2010-04-01/Accounts/${accountSid}/Messages.json`);
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('SK0123456789abcdef0123456789abcdef:key-secret').toString('base64')}`);
  });

  it('takes From from options.from over settings.from, and sends the Messaging Service when configured', async () => {
    const api = await messagesApi(created);
    await smsAdapter.send(outbound({ options: { from: 'Acme' } }), sms(api.url), noAbort());
    await smsAdapter.send(outbound(), sms(api.url, { messagingServiceSid: 'MG9752274e9e519418a7406176694466fa' }), noAbort());
    const forms = api.received.map((request) => Object.fromEntries(new URLSearchParams(request.body)));
    expect(forms[0]).toMatchObject({ From: 'Acme' });
    expect(forms[1]).toEqual({ To: '447123123123', MessagingServiceSid: 'MG9752274e9e519418a7406176694466fa', Body: 'Your order shipped' });
  });

  it.each([
    [400, 21211, "The 'To' number +1555 is not a valid phone number.", 'rejected 21211'],
    [400, 21610, 'Attempt to send to unsubscribed recipient', 'rejected 21610'],
    [400, 21408, 'Permission to send an SMS has not been enabled for the region indicated by the To number', 'rejected 21408'],
    [401, 20003, 'Authenticate', 'failed 20003'],
    [429, 20429, 'Too Many Requests', 'failed 20429'],
    [500, 20500, 'Internal Server Error', 'failed 20500'],
  ])('classifies HTTP %i Twilio error %i (%s) as %s', async (status, code, message, expected) => {
    const api = await messagesApi(twilioError(status, code, message));
    const result = await smsAdapter.send(outbound(), sms(api.url), noAbort());
    expect(outcome(result)).toBe(expected);
    expect(result.kind !== 'accepted' && result.reason).toContain(message);
  });

  it('classifies by status when the body is not a Twilio error', async () => {
    const api = await messagesApi({ status: 503, body: 'upstream unavailable' });
    expect(outcome(await smsAdapter.send(outbound(), sms(api.url), noAbort()))).toBe('failed http_503');
  });

  it('fails on a refused connection and on a timeout', async () => {
    expect(outcome(await smsAdapter.send(outbound(), sms(await refusedUrl()), noAbort()))).toBe('failed network');
    const api = await messagesApi('hang');
    expect(outcome(await createSmsAdapter({ timeoutMs: 200 }).send(outbound(), sms(api.url), noAbort()))).toBe('failed timeout');
  });

  it('rejects a body longer than the 1,600 characters the API takes, without a request', async () => {
    const api = await messagesApi(created);
    expect(outcome(await smsAdapter.send(outbound({ body: 'é'.repeat(1600) }), sms(api.url), noAbort()))).toBe('accepted SM1f0e8ae6ade43cb3c0ce4525424e404f');
    expect(outcome(await smsAdapter.send(outbound({ body: 'x'.repeat(1601) }), sms(api.url), noAbort()))).toBe('rejected too_long');
    expect(api.received).toHaveLength(1);
  });

  it('fails as misconfigured without credentials or a sender, and rejects a malformed options.from', async () => {
    const api = await messagesApi(created);
    expect(outcome(await smsAdapter.send(outbound(), provider({ baseUrl: api.url, settings: { from: '+1' } }), noAbort()))).toBe('failed misconfigured');
    expect(outcome(await smsAdapter.send(outbound(), sms(api.url, {}), noAbort()))).toBe('failed misconfigured');
    expect(outcome(await smsAdapter.send(outbound({ options: { from: 42 } }), sms(api.url), noAbort()))).toBe('rejected invalid_options');
    expect(api.received).toHaveLength(0);
  });
});

/** Twilio's algorithm, written out independently of the adapter. */
function expectedSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((name) => name + params[name]).join('');
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

describe('sms webhook (Twilio status callback)', () => {
  const callbackUrl = 'https://switchboard.example/webhooks/sms?provider=primary';
  const params = {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    From: '+15005550006',
    MessageSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
    MessageStatus: 'delivered',
    SmsSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
    SmsStatus: 'delivered',
    To: '+447123123123',
  };
  const rawBody = new URLSearchParams(params).toString();
  const config = sms('https://api.twilio.com');

  it('computes the signature of Twilio\'s documented example', () => {
    const example = new URLSearchParams({ CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' });
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', example)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('signs a repeated parameter once per distinct value, values sorted', () => {
    const url = 'https://switchboard.example/webhooks/sms';
    const expected = createHmac('sha1', 'tok').update(`${url}AaBxByCz`).digest('base64');
    expect(twilioSignature('tok', url, new URLSearchParams('C=z&B=y&A=a&B=x&B=y'))).toBe(expected);
  });

  it('accepts a callback signed over the full URL and the sorted parameters', () => {
    const signature = expectedSignature('twilio-auth-token', callbackUrl, params);
    expect(smsWebhook.verify({ rawBody, headers: { 'x-twilio-signature': signature }, url: callbackUrl }, config)).toBe(true);
  });

  it('refuses a tampered body, another token, another URL and a missing header', () => {
    const signature = expectedSignature('twilio-auth-token', callbackUrl, params);
    const verify = (body: string, headers: Record<string, string>, url = callbackUrl) => smsWebhook.verify({ rawBody: body, headers, url }, config);
    expect(verify(rawBody.replace('MessageStatus=delivered', 'MessageStatus=failed'), { 'x-twilio-signature': signature })).toBe(false);
    expect(verify(rawBody, { 'x-twilio-signature': expectedSignature('another-token', callbackUrl, params) })).toBe(false);
    expect(verify(rawBody, { 'x-twilio-signature': signature }, 'https://switchboard.example/webhooks/sms?provider=other')).toBe(false);
    expect(verify(rawBody, {})).toBe(false);
  });

  it('accepts the URL with or without its default port, and the configured StatusCallback URL behind a proxy', () => {
    const withPort = expectedSignature('twilio-auth-token', 'https://switchboard.example:443/webhooks/sms?provider=primary', params);
    expect(smsWebhook.verify({ rawBody, headers: { 'x-twilio-signature': withPort }, url: callbackUrl }, config)).toBe(true);
    const behindProxy = sms('https://api.twilio.com', { from: '+1', statusCallbackUrl: callbackUrl });
    const signature = expectedSignature('twilio-auth-token', callbackUrl, params);
    expect(smsWebhook.verify({ rawBody, headers: { 'x-twilio-signature': signature }, url: 'http://10.0.0.7:8080/webhooks/sms?provider=primary' }, behindProxy)).toBe(true);
  });

  it('maps MessageStatus to receipts, dated by RawDlrDoneDate or else the clock; transitional statuses are skipped', () => {
    const clock = new ManualClock(Date.parse('2026-03-01T12:00:00.000Z'));
    const webhook = createSmsWebhook(clock);
    const sid = 'SM1f0e8ae6ade43cb3c0ce4525424e404f';
    expect(webhook.receipts({ MessageSid: sid, MessageStatus: 'sent' })).toEqual([{ channel: 'sms', providerMessageId: sid, status: 'sent', at: '2026-03-01T12:00:00.000Z' }]);
    expect(webhook.receipts({ MessageSid: sid, MessageStatus: 'delivered', RawDlrDoneDate: '2603011159' })).toEqual([
      { channel: 'sms', providerMessageId: sid, status: 'delivered', at: '2026-03-01T11:59:00.000Z' },
    ]);
    expect(webhook.receipts({ MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30003' })).toEqual([
      { channel: 'sms', providerMessageId: sid, status: 'failed', at: '2026-03-01T12:00:00.000Z', details: 'undelivered: error 30003' },
    ]);
    expect(webhook.receipts({ MessageSid: [sid], MessageStatus: ['read'] })).toMatchObject([{ status: 'read' }]);
    for (const status of ['queued', 'accepted', 'sending', 'scheduled', 'canceled']) expect(webhook.receipts({ MessageSid: sid, MessageStatus: status })).toEqual([]);
    expect(webhook.receipts(null)).toEqual([]);
    expect(webhook.receipts({ MessageStatus: 'delivered' })).toEqual([]);
  });
});
