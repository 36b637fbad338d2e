import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type Response, type TestAccount } from '../support/harness.js';
import { FakeProvider } from '../support/fake-provider.js';
import { message, send, trail } from './messaging-support.js';
import { accepted, configureSms, configureWhatsApp, postMeta, statusBody } from './messaging-meta-support.js';

const WA = '14155550100';
const TEMPLATE = { whatsApp: { template: { name: 'order_shipped', language: { code: 'en' } } } };

// The built-in WhatsApp Cloud API adapter and webhook (no overrides), against a stand-in Cloud API.
describe.each(DATABASES)('messaging: receipts that overtake their send (%s)', (db) => {
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

  /**
   * An account whose Cloud API posts `status` for the message to `webhookPath` (signed with
   * `secret`) and only then answers the send: the receipt comes before the send is recorded.
   */
  async function racingAccount(status: string, options: { webhookPath?: (acct: TestAccount) => string; secret?: string; before?: () => void } = {}) {
    const acct = await t.newAccount();
    const phoneNumberId = `pn-${randomUUID()}`;
    const wamid = `wamid.${randomUUID()}`;
    const webhooks: Response[] = [];
    const baseUrl = provider.endpoint(async () => {
      webhooks.push(await postMeta(t, options.webhookPath?.(acct) ?? '/webhooks/whatsApp', statusBody(phoneNumberId, wamid, status, clock.now()), options.secret));
      options.before?.();
      return accepted(wamid);
    });
    await configureWhatsApp(t, acct, baseUrl, { phoneNumberId });
    return { acct, wamid, webhooks };
  }
  const pendingRows = (wamid: string) => t.services.storage.db.selectFrom('message_pending_receipts').selectAll().where('provider_message_id', '=', wamid).execute();

  it('applies a delivered receipt the provider posted before answering the send, ending the wait at once', async () => {
    const { acct, wamid, webhooks } = await racingAccount('delivered');
    await configureSms(t, acct, provider);
    const id = await send(t, acct, { to: { whatsAppId: WA, phoneNumber: '+14155550100' }, rules: [{ channel: 'whatsApp', until: 'delivered', within_s: 120 }, 'sms'], channelOptions: TEMPLATE });
    await drain();
    expect(webhooks.map((w) => [w.status, w.body])).toEqual([[200, { received: 1, applied: 0, unknown: 1, pending: 1, inbound: 0 }]]);
    const view = await message(t, acct, id);
    expect(view.status).toBe('delivered');
    expect(view.statusDetails.channelStatus.whatsApp).toMatchObject({ status: 'delivered', provider: 'meta', details: expect.stringContaining('delivered (reported') });
    expect(trail(view)).toEqual(['whatsApp/meta:accepted']);
    // Claimed, and nothing is left to escalate to SMS.
    expect(await pendingRows(wamid)).toEqual([]);
    expect(await t.services.storage.db.selectFrom('jobs').select('id').where('account_id', '=', acct.id).where('type', '=', 'message.escalate').execute()).toEqual([]);
    clock.advance(121_000);
    await drain();
    expect(trail(await message(t, acct, id))).toEqual(['whatsApp/meta:accepted']);
  });

  it('sends on to the next channel in the same run when the early receipt says the message failed', async () => {
    const { acct } = await racingAccount('failed');
    const sms = await configureSms(t, acct, provider);
    const id = await send(t, acct, { to: { whatsAppId: WA, phoneNumber: '+14155550100' }, rules: ['whatsApp', 'sms'], channelOptions: TEMPLATE });
    expect(await drain()).toBe(1);
    const view = await message(t, acct, id);
    expect(view.status).toBe('sent');
    expect(view.statusDetails.channelStatus).toMatchObject({ whatsApp: { status: 'failed' }, sms: { status: 'sent' } });
    expect(provider.received(sms)).toHaveLength(1);
  });

  it("applies a held receipt only if its request verifies with the message's provider", async () => {
    const { acct, wamid, webhooks } = await racingAccount('delivered', { secret: 'not-the-app-secret' });
    const id = await send(t, acct, { to: { whatsAppId: WA }, rules: ['whatsApp'], channelOptions: TEMPLATE });
    await drain();
    // Nothing could be verified when it came (no message named it yet): kept, then never applied.
    expect(webhooks[0]?.body).toMatchObject({ pending: 1 });
    expect((await message(t, acct, id)).status).toBe('sent');
    expect(await pendingRows(wamid)).toHaveLength(1);
  });

  it('drops a held receipt whose send is recorded more than 10 minutes after it came', async () => {
    const { acct, wamid } = await racingAccount('delivered', { before: () => clock.advance(10 * 60_000 + 1000) });
    const id = await send(t, acct, { to: { whatsAppId: WA }, rules: ['whatsApp'], channelOptions: TEMPLATE });
    await drain();
    expect((await message(t, acct, id)).status).toBe('sent');
    // The next receipt held on the channel purges it.
    await postMeta(t, '/webhooks/whatsApp', statusBody('pn-x', `wamid.${randomUUID()}`, 'read', clock.now()));
    expect(await pendingRows(wamid)).toEqual([]);
  });

  it('verifies on arrival on the account-scoped URL: a forged receipt is refused, a signed one is held for that account only', async () => {
    const forged = await racingAccount('delivered', { webhookPath: (acct) => `/webhooks/whatsApp/${acct.id}`, secret: 'forged-secret' });
    const forgedId = await send(t, forged.acct, { to: { whatsAppId: WA }, rules: ['whatsApp'], channelOptions: TEMPLATE });
    await drain();
    expect(forged.webhooks[0]?.status).toBe(401);
    expect(await pendingRows(forged.wamid)).toEqual([]);
    expect((await message(t, forged.acct, forgedId)).status).toBe('sent');

    const scoped = await racingAccount('read', { webhookPath: (acct) => `/webhooks/whatsApp/${acct.id}` });
    const id = await send(t, scoped.acct, { to: { whatsAppId: WA }, rules: ['whatsApp'], channelOptions: TEMPLATE });
    await drain();
    expect(scoped.webhooks[0]?.body).toEqual({ received: 1, applied: 0, unknown: 1, pending: 1, inbound: 0 });
    expect((await message(t, scoped.acct, id)).status).toBe('read');

    // Held for one account, a receipt never reaches another account's message with the same provider id.
    const other = await t.newAccount();
    const wamid = `wamid.${randomUUID()}`;
    const otherPhone = `pn-${randomUUID()}`;
    expect((await postMeta(t, `/webhooks/whatsApp/${scoped.acct.id}`, statusBody(otherPhone, wamid, 'delivered', clock.now()))).body.pending).toBe(1);
    await configureWhatsApp(t, other, provider.endpoint(() => accepted(wamid)), { phoneNumberId: otherPhone });
    const otherId = await send(t, other, { to: { whatsAppId: WA }, rules: ['whatsApp'], channelOptions: TEMPLATE });
    await drain();
    expect((await message(t, other, otherId)).status).toBe('sent');
  });
});

describe.each(DATABASES)('messaging: held receipts are bounded (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db, { pendingReceipts: { limit: 2, maxBodyBytes: 4096 } });
  });
  afterAll(() => t.close());

  it('keeps at most `limit` unverified receipts per channel, an account-scoped URL has its own bound, and a large request is not kept', async () => {
    const unknown = () => statusBody('pn-1', `wamid.${randomUUID()}`, 'delivered', new Date());
    const held = async (path: string, body = unknown()) => (await postMeta(t, path, body)).body;
    expect(await held('/webhooks/whatsApp')).toMatchObject({ unknown: 1, pending: 1 });
    expect(await held('/webhooks/whatsApp')).toMatchObject({ unknown: 1, pending: 1 });
    expect(await held('/webhooks/whatsApp')).toMatchObject({ unknown: 1, pending: 0 });

    const acct = await t.newAccount();
    await configureWhatsApp(t, acct, 'http://127.0.0.1:9/graph', { phoneNumberId: 'pn-1' });
    expect(await held(`/webhooks/whatsApp/${acct.id}`)).toMatchObject({ unknown: 1, pending: 1 });
    const large = unknown();
    (large.entry as any)[0].changes[0].value.padding = 'x'.repeat(5000);
    expect(await held(`/webhooks/whatsApp/${acct.id}`, large)).toMatchObject({ unknown: 1, pending: 0 });
  });
});
