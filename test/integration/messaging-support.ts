import { expect } from 'vitest';
import type { TestAccount, TestApp } from '../support/harness.js';
import { signBody } from '../support/fake-provider.js';

export const WEBHOOK_SECRET = 'provider-app-secret-0123456789';

/** Providers of a channel, in order, each a stand-in endpoint; credentials include the webhook's secret. */
export async function configure(t: TestApp, acct: TestAccount, channel: string, baseUrls: string[], credentials: Record<string, string> = {}): Promise<void> {
  const providers = baseUrls.map((baseUrl, index) => ({ name: `${channel}-${index + 1}`, base_url: baseUrl, credentials: { token: `token-${index + 1}`, appSecret: WEBHOOK_SECRET, ...credentials }, settings: { from: 'Acme' } }));
  const response = await t.put(`/channels/${channel}`, { providers }, acct.token);
  expect(response.status, response.text).toBe(200);
}

/** Sends and returns the message id (201 asserted). */
export async function send(t: TestApp, acct: TestAccount, body: Record<string, unknown>): Promise<string> {
  const response = await t.post('/messages', { body: 'Your order shipped', ...body }, acct.token);
  expect(response.status, response.text).toBe(201);
  return response.body.messageId as string;
}

export async function message(t: TestApp, acct: TestAccount, id: string): Promise<any> {
  const response = await t.get(`/messages/${id}`, acct.token);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

/** Posts a provider status webhook, signed with `secret` (the provider's appSecret by default). */
export function webhook(t: TestApp, channel: string, statuses: { id: string; status: string; at?: string }[], secret = WEBHOOK_SECRET) {
  const raw = JSON.stringify({ statuses: statuses.map((s) => ({ at: '2026-11-23T09:00:00.000Z', ...s })) });
  return t.request('POST', `/webhooks/${channel}`, { raw, headers: { 'content-type': 'application/json', 'x-test-signature': signBody(secret, raw) } });
}

/** The message's channels in the order they were attempted, as `channel:outcome`. */
export const trail = (view: { attempts: { channel: string; outcome: string; provider: string | null }[] }) =>
  view.attempts.map((a) => `${a.channel}${a.provider ? `/${a.provider}` : ''}:${a.outcome}`);
