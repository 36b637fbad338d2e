import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { json, refusedUrl, startTestHttpServer, type Reply, type TestHttpServer } from '../../../domains/flows/runtime/test-http-server.js';
import { noAbort, outbound, outcome, provider } from '../../../../test/support/providers/messages.js';
import { createWhatsAppAdapter, metaSubscriptionChallenge, whatsAppAdapter, whatsAppWebhook } from './index.js';

let server: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function cloudApi(reply: Reply | ((index: number) => Reply)): Promise<TestHttpServer> {
  server = await startTestHttpServer((_request, index) => (typeof reply === 'function' ? reply(index) : reply));
  return server;
}

const whatsApp = (baseUrl: string, settings: Record<string, string> = {}) =>
  provider({ baseUrl, credentials: { accessToken: 'EAAG-token', appSecret: 'app-secret' }, settings: { phoneNumberId: '106540352242922', ...settings } });

const graphError = (status: number, code: number, message: string, extra: Record<string, unknown> = {}): Reply =>
  json(status, { error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEf', ...extra } });

describe('whatsApp adapter', () => {
  it('posts a text message to /{version}/{phoneNumberId}/messages with the bearer token and answers the wamid', async () => {
    const api = await cloudApi(json(200, { messaging_product: 'whatsapp', contacts: [{ input: '447123123123', wa_id: '447123123123' }], messages: [{ id: 'wamid.HBgM' }] }));
    const result = await whatsAppAdapter.send(outbound(), whatsApp(api.url), noAbort());
    expect(result).toEqual({ kind: 'accepted', providerMessageId: 'wamid.HBgM' });
    const [request] = api.received;
    // With the app secret configured, Meta's appsecret_proof: the token's HMAC-SHA256 under it.
    const proof = createHmac('sha256', 'app-secret').update('EAAG-token').digest('hex');
    expect(request).toMatchObject({ method: 'POST', url: `/v23.0/106540352242922/messages?appsecret_proof=${proof}` });
    expect(request?.headers.authorization).toBe('Bearer EAAG-token');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '447123123123',
      type: 'text',
      text: { body: 'Your order shipped' },
    });
  });

  it('sends a template when options.template is given, honouring settings.apiVersion and a base path', async () => {
    const api = await cloudApi(json(200, { messages: [{ id: 'wamid.T', message_status: 'accepted' }] }));
    const template = { name: 'order_shipped', language: { code: 'en_GB' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'A-17' }] }] };
    const result = await whatsAppAdapter.send(outbound({ options: { template } }), whatsApp(`${api.url}/graph/`, { apiVersion: 'v21.0' }), noAbort());
    expect(result).toEqual({ kind: 'accepted', providerMessageId: 'wamid.T', details: 'message_status accepted' });
    expect(api.received[0]?.url?.split('?')[0]).toBe('/graph/v21.0/106540352242922/messages');
    expect(JSON.parse(api.received[0]?.body ?? '')).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '447123123123', type: 'template', template });
  });

  it('rejects a malformed template without calling the API', async () => {
    const api = await cloudApi(json(200, { messages: [{ id: 'wamid.X' }] }));
    const result = await whatsAppAdapter.send(outbound({ options: { template: { name: 'x', language: 'en' } } }), whatsApp(api.url), noAbort());
    expect(outcome(result)).toBe('rejected invalid_options');
    expect(api.received).toHaveLength(0);
  });

  it.each([
    [400, 131026, 'Message undeliverable', 'rejected 131026'],
    [400, 131047, 'Re-engagement message', 'rejected 131047'],
    [400, 100, 'Invalid parameter', 'rejected 100'],
    [400, 132001, 'Template name does not exist in the translation', 'rejected 132001'],
    [401, 190, 'Error validating access token: Session has expired', 'failed 190'],
    [400, 131031, 'Account has been locked', 'failed 131031'],
    [429, 130429, 'Rate limit hit', 'failed 130429'],
    [400, 131048, 'Spam rate limit hit', 'failed 131048'],
    // One customer's pair rate limit says nothing about the provider: no circuit breaking for everyone.
    [429, 131056, '(Business Account, Consumer Account) pair rate limit hit', 'rejected 131056'],
    [500, 131000, 'Something went wrong', 'failed 131000'],
    [503, 131016, 'Service unavailable', 'failed 131016'],
  ])('classifies HTTP %i Graph error %i (%s) as %s', async (status, code, message, expected) => {
    const api = await cloudApi(graphError(status, code, message, { error_data: { messaging_product: 'whatsapp', details: 'more detail' } }));
    const result = await whatsAppAdapter.send(outbound(), whatsApp(api.url), noAbort());
    expect(outcome(result)).toBe(expected);
    expect(result.kind !== 'accepted' && result.reason).toContain(message);
    expect(result.kind !== 'accepted' && result.reason).toContain('more detail');
  });

  it('treats an error the API marks transient as a provider failure', async () => {
    const api = await cloudApi(graphError(400, 9999, 'Temporary', { is_transient: true }));
    expect(outcome(await whatsAppAdapter.send(outbound(), whatsApp(api.url), noAbort()))).toBe('failed 9999');
  });

  it('classifies by status when the body is not a Graph error, and fails a 200 without a message id', async () => {
    const api = await cloudApi((index) => [{ status: 502, body: '<html>Bad gateway</html>' }, { status: 404, body: 'nope' }, json(200, { messages: [] })][index] ?? 'hang');
    expect(outcome(await whatsAppAdapter.send(outbound(), whatsApp(api.url), noAbort()))).toBe('failed http_502');
    expect(outcome(await whatsAppAdapter.send(outbound(), whatsApp(api.url), noAbort()))).toBe('rejected http_404');
    expect(outcome(await whatsAppAdapter.send(outbound(), whatsApp(api.url), noAbort()))).toBe('failed unexpected_response');
  });

  it('fails on a refused connection and on a provider that does not answer in time', async () => {
    const refused = await whatsAppAdapter.send(outbound(), whatsApp(await refusedUrl()), noAbort());
    expect(outcome(refused)).toBe('failed network');
    expect(refused.kind === 'failed' && refused.reason).toMatch(/ECONNREFUSED/);
    const api = await cloudApi('hang');
    const started = Date.now();
    expect(outcome(await createWhatsAppAdapter({ timeoutMs: 200 }).send(outbound(), whatsApp(api.url), noAbort()))).toBe('failed timeout');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("fails with timeout when the caller's signal reaches its deadline (AbortSignal.timeout)", async () => {
    const api = await cloudApi('hang');
    expect(outcome(await whatsAppAdapter.send(outbound(), whatsApp(api.url), AbortSignal.timeout(150)))).toBe('failed timeout');
  });

  it('rejects with the abort reason when the caller cancels (not a provider outcome)', async () => {
    const api = await cloudApi('hang');
    const controller = new AbortController();
    const sending = whatsAppAdapter.send(outbound(), whatsApp(api.url), controller.signal);
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    await expect(sending).rejects.toThrow('shutting down');
  });

  it('fails as misconfigured without calling anything when a field is missing', async () => {
    const api = await cloudApi(json(200, { messages: [{ id: 'wamid.X' }] }));
    expect(outcome(await whatsAppAdapter.send(outbound(), provider({ baseUrl: api.url, settings: { phoneNumberId: '1' } }), noAbort()))).toBe('failed misconfigured');
    expect(outcome(await whatsAppAdapter.send(outbound(), provider({ baseUrl: api.url, credentials: { accessToken: 't' } }), noAbort()))).toBe('failed misconfigured');
    expect(outcome(await whatsAppAdapter.send(outbound(), whatsApp('ftp://graph.example'), noAbort()))).toBe('failed misconfigured');
    expect(api.received).toHaveLength(0);
  });
});

const statusesBody = JSON.stringify({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
            statuses: [
              { id: 'wamid.A', status: 'sent', timestamp: '1750263773', recipient_id: '447123123123' },
              { id: 'wamid.A', status: 'delivered', timestamp: '1750263774', recipient_id: '447123123123' },
              { id: 'wamid.B', status: 'read', timestamp: '1750263775', recipient_id: '447123123123' },
              {
                id: 'wamid.C',
                status: 'failed',
                timestamp: '1750263776',
                recipient_id: '447123123123',
                errors: [{ code: 131047, title: 'Re-engagement message', error_data: { details: 'More than 24 hours have passed' } }],
              },
              { id: 'wamid.D', status: 'deleted', timestamp: '1750263777' },
            ],
          },
        },
      ],
    },
  ],
});

const signed = (rawBody: string, secret: string) => `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;

describe('whatsApp webhook', () => {
  const config = whatsApp('https://graph.facebook.com');

  it('verifies X-Hub-Signature-256 over the raw body with the app secret, in any header case', () => {
    const url = 'https://switchboard.example/webhooks/whatsApp';
    expect(whatsAppWebhook.verify({ rawBody: statusesBody, headers: { 'x-hub-signature-256': signed(statusesBody, 'app-secret') }, url }, config)).toBe(true);
    expect(whatsAppWebhook.verify({ rawBody: statusesBody, headers: { 'X-Hub-Signature-256': signed(statusesBody, 'app-secret') }, url }, config)).toBe(true);
  });

  it('refuses a tampered body, a wrong secret, a missing or malformed header, and a provider without an app secret', () => {
    const url = 'https://switchboard.example/webhooks/whatsApp';
    const signature = signed(statusesBody, 'app-secret');
    const verify = (rawBody: string, headers: Record<string, string | undefined>, p = config) => whatsAppWebhook.verify({ rawBody, headers, url }, p);
    expect(verify(statusesBody.replace('"read"', '"sent"'), { 'x-hub-signature-256': signature })).toBe(false);
    expect(verify(statusesBody, { 'x-hub-signature-256': signed(statusesBody, 'other-secret') })).toBe(false);
    expect(verify(statusesBody, {})).toBe(false);
    expect(verify(statusesBody, { 'x-hub-signature-256': signature.slice('sha256='.length) })).toBe(false);
    expect(verify(statusesBody, { 'x-hub-signature-256': signature }, provider({ baseUrl: '', credentials: {} }))).toBe(false);
  });

  it('reads sent, delivered, read and failed statuses, dated by their unix timestamps; other statuses are skipped', () => {
    expect(whatsAppWebhook.receipts(JSON.parse(statusesBody))).toEqual([
      { channel: 'whatsApp', providerMessageId: 'wamid.A', status: 'sent', at: '2025-06-18T16:22:53.000Z' },
      { channel: 'whatsApp', providerMessageId: 'wamid.A', status: 'delivered', at: '2025-06-18T16:22:54.000Z' },
      { channel: 'whatsApp', providerMessageId: 'wamid.B', status: 'read', at: '2025-06-18T16:22:55.000Z' },
      {
        channel: 'whatsApp',
        providerMessageId: 'wamid.C',
        status: 'failed',
        at: '2025-06-18T16:22:56.000Z',
        details: 'error 131047: Re-engagement message: More than 24 hours have passed',
      },
    ]);
  });

  it('reads nothing from inbound messages or another object', () => {
    const inbound = { object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { messages: [{ from: '447', id: 'wamid.in', type: 'text' }] } }] }] };
    expect(whatsAppWebhook.receipts(inbound)).toEqual([]);
    expect(whatsAppWebhook.receipts({ object: 'page', entry: [] })).toEqual([]);
    expect(whatsAppWebhook.receipts('not json')).toEqual([]);
  });

  it("reads customers' messages (any type) with the sender, their unix timestamp and the business number they were written to", () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: [{
        id: 'WABA', changes: [{
          field: 'messages',
          value: {
            messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: '106540352242922' },
            contacts: [{ profile: { name: 'Ada' }, wa_id: '447123123123' }],
            messages: [
              { from: '447123123123', id: 'wamid.in1', timestamp: '1750263773', type: 'text', text: { body: 'hi' } },
              { from: '447123123124', id: 'wamid.in2', timestamp: 1750263774, type: 'image', image: { id: 'media' } },
              { id: 'wamid.no-sender', timestamp: '1750263775', type: 'text' },
            ],
            statuses: [{ id: 'wamid.A', status: 'delivered', timestamp: '1750263776' }],
          },
        }],
      }],
    };
    expect(whatsAppWebhook.inbound?.(body)).toEqual([
      { channel: 'whatsApp', from: '447123123123', at: '2025-06-18T16:22:53.000Z', to: { setting: 'phoneNumberId', value: '106540352242922' } },
      { channel: 'whatsApp', from: '447123123124', at: '2025-06-18T16:22:54.000Z', to: { setting: 'phoneNumberId', value: '106540352242922' } },
    ]);
    expect(whatsAppWebhook.receipts(body)).toHaveLength(1);
    expect(whatsAppWebhook.inbound?.(JSON.parse(statusesBody))).toEqual([]);
    expect(whatsAppWebhook.inbound?.({ object: 'page', entry: [] })).toEqual([]);
  });

  it('answers Meta\'s subscription handshake only with the configured verify token', () => {
    const withToken = provider({ baseUrl: '', credentials: { verifyToken: 'vt-1' } });
    const query = { 'hub.mode': 'subscribe', 'hub.verify_token': 'vt-1', 'hub.challenge': '1158201444' };
    expect(metaSubscriptionChallenge(query, withToken)).toBe('1158201444');
    expect(metaSubscriptionChallenge({ ...query, 'hub.verify_token': 'vt-2' }, withToken)).toBeUndefined();
    expect(metaSubscriptionChallenge(query, provider({ baseUrl: '' }))).toBeUndefined();
    expect(whatsAppWebhook.subscriptionChallenge?.(query, withToken)).toBe('1158201444');
  });
});
