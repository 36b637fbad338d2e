import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { FakeProvider } from '../support/fake-provider.js';
import { message, send } from './messaging-support.js';
import { accepted, cloudApiBody, configureSms, configureWhatsApp, customerMessageBody, META_SECRET, postMeta } from './messaging-meta-support.js';

const HOUR_MS = 3600_000;

// The built-in Meta adapters and webhooks (no overrides), against a stand-in Graph API.
describe.each(DATABASES)("messaging: Meta's subscription handshake, inbound WhatsApp messages and Messenger watermarks (%s)", (db) => {
  let t: TestApp;
  let provider: FakeProvider;
  const clock = new ManualClock();
  beforeAll(async () => {
    provider = await FakeProvider.start();
    t = await TestApp.start(db, { clock });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
  });
  const drain = () => t.app.worker.drain();
  const handshake = (path: string, token: string, challenge = '1158201444') =>
    t.request('GET', `${path}?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=${challenge}`);

  it('answers the GET handshake on the account-scoped URL with the challenge as text/plain when the verify token matches, else 403', async () => {
    const acct = await t.newAccount();
    const other = await t.newAccount();
    await configureWhatsApp(t, acct, provider.endpoint(), { phoneNumberId: 'pn-hs', verifyToken: 'wa-verify-token' });
    const messenger = await t.put('/channels/fbMessenger', { providers: [{ name: 'page', base_url: provider.endpoint(), credentials: { accessToken: 'page-token', appSecret: 's', verifyToken: 'fb-verify-token' }, settings: {} }] }, acct.token);
    expect(messenger.status, messenger.text).toBe(200);

    const ok = await handshake(`/webhooks/whatsApp/${acct.id}`, 'wa-verify-token');
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(ok.text).toBe('1158201444');
    expect((await handshake(`/webhooks/fbMessenger/${acct.id}`, 'fb-verify-token', '42')).text).toBe('42');

    expect((await handshake(`/webhooks/whatsApp/${acct.id}`, 'fb-verify-token')).status).toBe(403);
    expect((await handshake(`/webhooks/whatsApp/${other.id}`, 'wa-verify-token')).status).toBe(403);
    expect((await handshake(`/webhooks/whatsApp/${randomUUID()}`, 'wa-verify-token')).status).toBe(403);
    expect((await t.request('GET', `/webhooks/whatsApp/${acct.id}?hub.mode=unsubscribe&hub.verify_token=wa-verify-token&hub.challenge=1`)).status).toBe(403);
    // The account-less URL cannot say whose token to check.
    const unscoped = await handshake('/webhooks/whatsApp', 'wa-verify-token');
    expect(unscoped.status).toBe(403);
    expect(unscoped.body.detail).toContain('/webhooks/whatsApp/{account_id}');
    // Channels without a handshake have no GET; outbound webhooks keep /webhooks/{id}.
    expect((await handshake(`/webhooks/sms/${acct.id}`, 'x')).status).not.toBe(200);
    expect((await t.get(`/webhooks/${randomUUID()}`, acct.token)).status).toBe(404);
  });

  it("opens the 24-hour window of the account's profiles when the customer writes on WhatsApp; a day later a freeform send skips WhatsApp again", async () => {
    const acct = await t.newAccount();
    const wa = `1415${Math.floor(Math.random() * 1e7).toString().padStart(7, '0')}`;
    const phoneNumberId = `pn-${randomUUID()}`;
    const cloud = provider.endpoint(() => accepted(`wamid.${randomUUID()}`));
    await configureWhatsApp(t, acct, cloud, { phoneNumberId });
    await configureSms(t, acct, provider);
    await t.put('/profiles/ada', { whatsapp_id: wa, phone_number: '+14155550100' }, acct.token);
    await t.put('/profiles/ada-old', { whatsapp_id: `+${wa}` }, acct.token);
    // Access tokens expire as the clock moves on: a new one after each move.
    let client = acct;
    const later = async (ms: number) => {
      clock.advance(ms);
      const token = await t.post('/oauth/token', { grant_type: 'client_credentials', client_id: acct.clientId, client_secret: acct.clientSecret });
      client = { ...acct, token: token.body.access_token };
    };
    const freeform = () => send(t, client, { to: { profileId: 'ada' }, rules: ['whatsApp', 'sms'] });

    const before = await freeform();
    await drain();
    expect((await message(t, acct, before)).statusDetails.channelStatus.whatsApp).toMatchObject({ status: 'skipped', details: expect.stringContaining('window closed (last inbound WhatsApp message: never)') });

    // A forged customer message changes nothing, and is answered as one from a stranger would be
    // (the answer must not tell who knows this WhatsApp id); a signed one moves both profiles of that id.
    const forged = await postMeta(t, '/webhooks/whatsApp', customerMessageBody(phoneNumberId, wa, clock.now()), 'forged-secret');
    const stranger = await postMeta(t, '/webhooks/whatsApp', customerMessageBody(phoneNumberId, '15550009999', clock.now()), 'forged-secret');
    expect([forged.status, forged.body]).toEqual([stranger.status, stranger.body]);
    expect(forged.body).toMatchObject({ inbound: 0 });
    expect((await t.get('/profiles/ada', acct.token)).body.last_inbound_whatsapp_at).toBeNull();
    const wrote = clock.now();
    const inbound = await postMeta(t, '/webhooks/whatsApp', customerMessageBody(phoneNumberId, wa, wrote));
    expect(inbound.status, inbound.text).toBe(200);
    expect(inbound.body).toEqual({ received: 0, applied: 0, unknown: 0, pending: 0, inbound: 2 });
    expect((await t.get('/profiles/ada', acct.token)).body.last_inbound_whatsapp_at).toBe(wrote.toISOString());
    expect((await t.get('/profiles/ada-old', acct.token)).body.last_inbound_whatsapp_at).toBe(wrote.toISOString());

    await later(23 * HOUR_MS);
    const inWindow = await freeform();
    await drain();
    const sent = await message(t, client, inWindow);
    expect(sent.statusDetails.channelStatus.whatsApp.status).toBe('sent');
    expect(sent.statusDetails.channelStatus.sms).toBeUndefined();
    expect(provider.received(cloud).at(-1)?.body).toMatchObject({ to: wa, type: 'text', text: { body: 'Your order shipped' } });

    await later(HOUR_MS);
    const closed = await freeform();
    await drain();
    const after = await message(t, client, closed);
    expect(after.statusDetails.channelStatus.whatsApp).toMatchObject({ status: 'skipped', details: expect.stringContaining(`window closed (last inbound WhatsApp message: ${wrote.toISOString()})`) });
    expect(after.statusDetails.channelStatus.sms.status).toBe('sent');

    // An older message (delivered late) never moves the window back.
    expect((await postMeta(t, '/webhooks/whatsApp', customerMessageBody(phoneNumberId, wa, new Date(wrote.getTime() - HOUR_MS)))).body.inbound).toBe(0);
  });

  it("reaches only accounts with a provider of the business number written to, and only the scoped URL's account", async () => {
    const wa = `4477${Math.floor(Math.random() * 1e8).toString().padStart(8, '0')}`;
    const accounts: { acct: TestAccount; phoneNumberId: string }[] = [];
    // Three tenants of one Meta app (same app secret), each with its own business number, all knowing the customer.
    for (let i = 0; i < 3; i += 1) {
      const acct = await t.newAccount();
      const phoneNumberId = `pn-${randomUUID()}`;
      await configureWhatsApp(t, acct, provider.endpoint(), { phoneNumberId });
      await t.put('/profiles/cust', { whatsapp_id: wa }, acct.token);
      accounts.push({ acct, phoneNumberId });
    }
    const [a, b, c] = accounts as [(typeof accounts)[0], (typeof accounts)[0], (typeof accounts)[0]];
    const lastInbound = async (acct: TestAccount) => (await t.get('/profiles/cust', acct.token)).body.last_inbound_whatsapp_at;

    expect((await postMeta(t, '/webhooks/whatsApp', customerMessageBody(a.phoneNumberId, wa, clock.now()))).body.inbound).toBe(1);
    expect(await lastInbound(a.acct)).toBe(clock.now().toISOString());
    expect(await lastInbound(b.acct)).toBeNull();

    // On B's scoped URL a message to C's number reaches nobody (it is not B's number, and the URL is not C's).
    clock.advance(1000);
    expect((await postMeta(t, `/webhooks/whatsApp/${b.acct.id}`, customerMessageBody(c.phoneNumberId, wa, clock.now()))).body.inbound).toBe(0);
    expect((await postMeta(t, `/webhooks/whatsApp/${b.acct.id}`, customerMessageBody(b.phoneNumberId, wa, clock.now()))).body.inbound).toBe(1);
    expect(await lastInbound(b.acct)).toBe(clock.now().toISOString());
    expect(await lastInbound(c.acct)).toBeNull();
    expect((await postMeta(t, `/webhooks/whatsApp/${c.acct.id}`, customerMessageBody(c.phoneNumberId, wa, clock.now()), 'forged-secret')).status).toBe(401);
  });

  it('refuses a provider webhook body of more than 1,000 receipts, or over 1 MiB, before looking anything up', async () => {
    const statuses = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `wamid.${i}`, status: 'delivered', timestamp: '1', recipient_id: '14155550100' }));
    const many = await postMeta(t, '/webhooks/whatsApp', cloudApiBody('pn-any', { statuses: statuses(1001) }), 'unsigned');
    expect(many.status).toBe(413);
    expect(many.body.code).toBe('payload_too_large');
    const huge = await t.request('POST', '/webhooks/whatsApp', { raw: JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(1024 * 1024) }), headers: { 'content-type': 'application/json' } });
    expect(huge.status).toBe(413);
    // A thousand is a batch like any other: looked up, and refused here for its signature.
    expect((await postMeta(t, '/webhooks/whatsApp', cloudApiBody('pn-any', { statuses: statuses(1000) }), 'unsigned')).status).not.toBe(413);
  });

  it('applies Messenger watermarks to the sends they cover: read receipts, and deliveries without mids, by person and time', async () => {
    const acct = await t.newAccount();
    const other = await t.newAccount();
    const psid = `psid-${randomUUID()}`;
    let mids = 0;
    const graph = provider.endpoint(() => ({ status: 200, json: { recipient_id: psid, message_id: `m_${(mids += 1)}-${randomUUID()}` } }));
    for (const tenant of [acct, other]) {
      const put = await t.put('/channels/fbMessenger', { providers: [{ name: 'page', base_url: graph, credentials: { accessToken: 'page-token', appSecret: META_SECRET }, settings: {} }] }, tenant.token);
      expect(put.status, put.text).toBe(200);
    }
    const sendTo = async (tenant: TestAccount) => {
      const id = await send(t, tenant, { to: { fbMessengerId: psid }, rules: [{ channel: 'fbMessenger', until: 'read', within_s: 600 }, 'sms'] });
      await drain();
      return id;
    };
    const first = await sendTo(acct);
    const second = await sendTo(acct);
    const others = await sendTo(other);
    clock.advance(5000);
    const late = await sendTo(acct);
    const event = (kind: 'read' | 'delivery', watermark: number) => ({
      object: 'page',
      entry: [{ id: 'PAGE-1', time: watermark, messaging: [{ sender: { id: psid }, recipient: { id: 'PAGE-1' }, timestamp: watermark, [kind]: { watermark } }] }],
    });
    const upTo = clock.now().getTime() - 1000;

    // A delivery receipt without mids, then a read receipt, each covering the sends until the watermark, on the account's URL.
    const delivered = await postMeta(t, `/webhooks/fbMessenger/${acct.id}`, event('delivery', upTo));
    expect(delivered.status, delivered.text).toBe(200);
    expect(delivered.body).toMatchObject({ received: 1, applied: 2 });
    expect((await message(t, acct, first)).status).toBe('delivered');
    const read = await postMeta(t, `/webhooks/fbMessenger/${acct.id}`, event('read', upTo));
    expect(read.body).toMatchObject({ received: 1, applied: 2 });
    for (const id of [first, second]) {
      const view = await message(t, acct, id);
      expect(view.status).toBe('read');
      expect(view.statusDetails.channelStatus.fbMessenger.status).toBe('read');
      expect(view.statusDetails.channelStatus.sms).toBeUndefined();
    }
    // A send after the watermark, and another account's send (not its URL), are not covered.
    expect((await message(t, acct, late)).status).toBe('sent');
    expect((await message(t, other, others)).status).toBe('sent');
    // A forged watermark changes nothing, and is answered as one naming nobody we sent to: unknown.
    const forged = await postMeta(t, '/webhooks/fbMessenger', event('read', clock.now().getTime()), 'forged-secret');
    expect((await message(t, acct, late)).status).toBe('sent');
    const nobody = await postMeta(t, '/webhooks/fbMessenger', { ...event('read', clock.now().getTime()), entry: [{ id: 'PAGE-1', messaging: [{ sender: { id: 'someone-else' }, read: { watermark: clock.now().getTime() } }] }] });
    expect(nobody.body).toMatchObject({ received: 1, applied: 0, unknown: 1 });
    expect([forged.status, forged.body]).toEqual([nobody.status, nobody.body]);
  });
});
