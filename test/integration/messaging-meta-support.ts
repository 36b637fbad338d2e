import { createHmac, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestAccount, TestApp } from '../support/harness.js';
import type { FakeProvider, ProviderAnswer } from '../support/fake-provider.js';

/** The Meta app secret the stand-in Cloud API signs its webhooks with. */
export const META_SECRET = 'meta-app-secret-0123456789';

export const hubSignature = (raw: string, secret = META_SECRET) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

/** A WhatsApp Cloud API webhook body of one change (field `messages`) for a business phone number. */
export function cloudApiBody(phoneNumberId: string, value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA-1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: phoneNumberId }, ...value } }] }],
  };
}

export const statusBody = (phoneNumberId: string, wamid: string, status: string, at: Date) =>
  cloudApiBody(phoneNumberId, { statuses: [{ id: wamid, status, timestamp: String(Math.floor(at.getTime() / 1000)), recipient_id: '14155550100' }] });

export const customerMessageBody = (phoneNumberId: string, from: string, at: Date) =>
  cloudApiBody(phoneNumberId, {
    contacts: [{ profile: { name: 'Ada' }, wa_id: from }],
    messages: [{ from, id: `wamid.in-${randomUUID()}`, timestamp: String(Math.floor(at.getTime() / 1000)), type: 'text', text: { body: 'Where is my order?' } }],
  });

/** Posts a Meta webhook to `path`, signed with `secret`. */
export function postMeta(t: TestApp, path: string, body: unknown, secret = META_SECRET) {
  const raw = JSON.stringify(body);
  return t.request('POST', path, { raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': hubSignature(raw, secret) } });
}

/** A Cloud API answer accepting a message under `wamid`. */
export const accepted = (wamid: string): ProviderAnswer => ({ status: 200, json: { messaging_product: 'whatsapp', messages: [{ id: wamid }] } });

/** Configures the account's WhatsApp Cloud API provider on a stand-in endpoint (`answer` scripts its sends). */
export async function configureWhatsApp(t: TestApp, acct: TestAccount, baseUrl: string, settings: { phoneNumberId: string; appSecret?: string; verifyToken?: string }): Promise<void> {
  const credentials = { accessToken: 'EAAG-token', appSecret: settings.appSecret ?? META_SECRET, ...(settings.verifyToken ? { verifyToken: settings.verifyToken } : {}) };
  const response = await t.put('/channels/whatsApp', { providers: [{ name: 'meta', base_url: baseUrl, credentials, settings: { phoneNumberId: settings.phoneNumberId } }] }, acct.token);
  expect(response.status, response.text).toBe(200);
}

/** A Twilio-compatible SMS provider that accepts everything (the fallback after WhatsApp). */
export async function configureSms(t: TestApp, acct: TestAccount, provider: FakeProvider): Promise<string> {
  const baseUrl = provider.endpoint(() => ({ status: 201, json: { sid: `SM${randomUUID().replaceAll('-', '')}`, status: 'queued' } }));
  const response = await t.put('/channels/sms', { providers: [{ name: 'twilio', base_url: baseUrl, credentials: { accountSid: 'AC1', authToken: 'twilio-token' }, settings: { from: '+14155550199' } }] }, acct.token);
  expect(response.status, response.text).toBe(200);
  return baseUrl;
}
