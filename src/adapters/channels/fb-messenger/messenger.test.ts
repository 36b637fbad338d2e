import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { json, refusedUrl, startTestHttpServer, type Reply, type TestHttpServer } from '../../../domains/flows/runtime/test-http-server.js';
import { noAbort, outbound, outcome, provider } from '../../../../test/support/providers/messages.js';
import { createFbMessengerAdapter, fbMessengerAdapter, fbMessengerWebhook } from './index.js';

let server: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function sendApi(reply: Reply): Promise<TestHttpServer> {
  server = await startTestHttpServer(() => reply);
  return server;
}

const messenger = (baseUrl: string) => provider({ baseUrl, credentials: { accessToken: 'EAAB-page-token', appSecret: 'page-app-secret' } });
const psid = '6543210987654321';
const accepted = json(200, { recipient_id: psid, message_id: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P' });

describe('fbMessenger adapter', () => {
  it('posts to /{version}/me/messages with the page token as a bearer header and answers the message_id', async () => {
    const api = await sendApi(accepted);
    const result = await fbMessengerAdapter.send(outbound({ to: psid }), messenger(api.url), noAbort());
    expect(outcome(result)).toMatch(/^accepted m_AG5Hz2/);
    const [request] = api.received;
    expect(request).toMatchObject({ method: 'POST', url: `/v23.0/me/messages?appsecret_proof=${createHmac('sha256', 'page-app-secret').update('EAAB-page-token').digest('hex')}` });
    expect(request?.url).not.toContain('access_token');
    expect(request?.headers.authorization).toBe('Bearer EAAB-page-token');
    expect(JSON.parse(request?.body ?? '')).toEqual({ recipient: { id: psid }, messaging_type: 'UPDATE', message: { text: 'Your order shipped' } });
  });

  it('rejects text of 2,000 characters or more, as the Send API would, without a request', async () => {
    const api = await sendApi(accepted);
    expect(outcome(await fbMessengerAdapter.send(outbound({ to: psid, body: 'x'.repeat(1999) }), messenger(api.url), noAbort()))).toMatch(/^accepted/);
    expect(outcome(await fbMessengerAdapter.send(outbound({ to: psid, body: 'x'.repeat(2000) }), messenger(api.url), noAbort()))).toBe('rejected too_long');
    expect(api.received).toHaveLength(1);
  });

  it('honours options.tag (MESSAGE_TAG) and options.messaging_type', async () => {
    const api = await sendApi(accepted);
    await fbMessengerAdapter.send(outbound({ to: psid, options: { tag: 'POST_PURCHASE_UPDATE' } }), messenger(api.url), noAbort());
    await fbMessengerAdapter.send(outbound({ to: psid, options: { messaging_type: 'RESPONSE' } }), messenger(api.url), noAbort());
    await fbMessengerAdapter.send(outbound({ to: psid, options: { tag: 'ACCOUNT_UPDATE', messaging_type: 'MESSAGE_TAG' } }), messenger(api.url), noAbort());
    expect(api.received.map((request) => JSON.parse(request.body))).toEqual([
      { recipient: { id: psid }, messaging_type: 'MESSAGE_TAG', tag: 'POST_PURCHASE_UPDATE', message: { text: 'Your order shipped' } },
      { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'Your order shipped' } },
      { recipient: { id: psid }, messaging_type: 'MESSAGE_TAG', tag: 'ACCOUNT_UPDATE', message: { text: 'Your order shipped' } },
    ]);
  });

  it('rejects contradictory or unknown options without calling the API', async () => {
    const api = await sendApi(accepted);
    for (const options of [{ messaging_type: 'MESSAGE_TAG' }, { tag: 'HUMAN_AGENT', messaging_type: 'RESPONSE' }, { messaging_type: 'PROMO' }]) {
      expect(outcome(await fbMessengerAdapter.send(outbound({ to: psid, options }), messenger(api.url), noAbort()))).toBe('rejected invalid_options');
    }
    expect(api.received).toHaveLength(0);
  });

  it.each([
    [400, 551, undefined, 'This person isn\'t available right now.', 'rejected 551'],
    [400, 10, 2018278, 'This message is sent outside of allowed window.', 'rejected 10'],
    [400, 100, 2018001, 'No matching user found', 'rejected 100'],
    [400, 190, 463, 'Error validating access token: Session has expired', 'failed 190'],
    [400, 613, undefined, 'Calls to this api have exceeded the rate limit.', 'failed 613'],
    [500, 1200, undefined, 'Temporary send message failure. Please try again later', 'failed 1200'],
    [500, 2, undefined, 'An unexpected error has occurred. Please retry your request later.', 'failed 2'],
  ])('classifies HTTP %i Graph error %i/%s (%s) as %s', async (status, code, subcode, message, expected) => {
    const api = await sendApi(json(status, { error: { message, type: 'OAuthException', code, ...(subcode === undefined ? {} : { error_subcode: subcode }), fbtrace_id: 'Bx1' } }));
    const result = await fbMessengerAdapter.send(outbound({ to: psid }), messenger(api.url), noAbort());
    expect(outcome(result)).toBe(expected);
    expect(result.kind !== 'accepted' && result.reason).toContain(message);
    if (subcode !== undefined) expect(result.kind !== 'accepted' && result.reason).toContain(`${code}/${subcode}`);
  });

  it('fails on a refused connection, a timeout and an answer without message_id', async () => {
    expect(outcome(await fbMessengerAdapter.send(outbound({ to: psid }), messenger(await refusedUrl()), noAbort()))).toBe('failed network');
    const hanging = await sendApi('hang');
    expect(outcome(await createFbMessengerAdapter({ timeoutMs: 200 }).send(outbound({ to: psid }), messenger(hanging.url), noAbort()))).toBe('failed timeout');
    await hanging.close();
    const odd = await sendApi(json(200, { recipient_id: psid }));
    expect(outcome(await fbMessengerAdapter.send(outbound({ to: psid }), messenger(odd.url), noAbort()))).toBe('failed unexpected_response');
  });

  it('fails as misconfigured without a page access token', async () => {
    const api = await sendApi(accepted);
    expect(outcome(await fbMessengerAdapter.send(outbound({ to: psid }), provider({ baseUrl: api.url }), noAbort()))).toBe('failed misconfigured');
    expect(api.received).toHaveLength(0);
  });
});

const pageId = '1234567890';
const webhookBody = JSON.stringify({
  object: 'page',
  entry: [
    {
      id: pageId,
      time: 1750263780000,
      messaging: [
        { sender: { id: psid }, recipient: { id: pageId }, delivery: { mids: ['m_one', 'm_two'], watermark: 1750263773123 } },
        { sender: { id: psid }, recipient: { id: pageId }, timestamp: 1750263779000, read: { watermark: 1750263778000 } },
        { sender: { id: psid }, recipient: { id: pageId }, delivery: { watermark: 1750263774000 } },
        { sender: { id: psid }, recipient: { id: pageId }, timestamp: 1750263779500, message: { mid: 'm_in', text: 'hi' } },
      ],
    },
  ],
});

describe('fbMessenger webhook', () => {
  const config = messenger('https://graph.facebook.com');
  const url = 'https://switchboard.example/webhooks/fbMessenger';
  const signature = `sha256=${createHmac('sha256', 'page-app-secret').update(webhookBody).digest('hex')}`;

  it('verifies the X-Hub-Signature-256 of the body and refuses a tampered body or another secret', () => {
    expect(fbMessengerWebhook.verify({ rawBody: webhookBody, headers: { 'x-hub-signature-256': signature }, url }, config)).toBe(true);
    expect(fbMessengerWebhook.verify({ rawBody: webhookBody.replace('m_two', 'm_six'), headers: { 'x-hub-signature-256': signature }, url }, config)).toBe(false);
    const other = `sha256=${createHmac('sha256', 'another-secret').update(webhookBody).digest('hex')}`;
    expect(fbMessengerWebhook.verify({ rawBody: webhookBody, headers: { 'x-hub-signature-256': other }, url }, config)).toBe(false);
  });

  it('reads one delivered receipt per mid at the watermark; read receipts and messages name no message', () => {
    expect(fbMessengerWebhook.receipts(JSON.parse(webhookBody))).toEqual([
      { channel: 'fbMessenger', providerMessageId: 'm_one', status: 'delivered', at: '2025-06-18T16:22:53.123Z' },
      { channel: 'fbMessenger', providerMessageId: 'm_two', status: 'delivered', at: '2025-06-18T16:22:53.123Z' },
    ]);
    expect(fbMessengerWebhook.receipts({ object: 'whatsapp_business_account', entry: [] })).toEqual([]);
  });

  it('reads the watermarks (read, and delivery without mids) by person', () => {
    expect(fbMessengerWebhook.watermarks?.(JSON.parse(webhookBody))).toEqual([
      { channel: 'fbMessenger', status: 'read', address: psid, upTo: '2025-06-18T16:22:58.000Z' },
      { channel: 'fbMessenger', status: 'delivered', address: psid, upTo: '2025-06-18T16:22:54.000Z' },
    ]);
  });

  it("answers Meta's subscription handshake with the page provider's verify token", () => {
    const query = { 'hub.mode': 'subscribe', 'hub.verify_token': 'fb-vt', 'hub.challenge': '77' };
    expect(fbMessengerWebhook.subscriptionChallenge?.(query, provider({ baseUrl: '', credentials: { verifyToken: 'fb-vt' } }))).toBe('77');
    expect(fbMessengerWebhook.subscriptionChallenge?.(query, provider({ baseUrl: '', credentials: { verifyToken: 'other' } }))).toBeUndefined();
    expect('inbound' in fbMessengerWebhook).toBe(false);
  });
});
