import { expect } from 'vitest';
import { SCOPES, type Scope } from '../../src/domains/accounts/index.js';
import { ADMIN_TOKEN, type TestAccount, type TestApp } from '../support/harness.js';

/** An account whose token never expires (a service token): these tests move the clock by hours and days. */
export async function longLivedAccount(t: TestApp, scopes: readonly Scope[] = SCOPES): Promise<TestAccount> {
  const acct = await t.newAccount();
  const token = await t.post(`/admin/accounts/${acct.id}/service-tokens`, { name: 'webhook tests', scopes, expires_at: null }, ADMIN_TOKEN);
  expect(token.status, token.text).toBe(201);
  return { ...acct, token: token.body.token };
}

export interface EndpointView {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  secret?: string;
}

export async function createEndpoint(t: TestApp, acct: TestAccount, body: Record<string, unknown>): Promise<EndpointView & { secret: string }> {
  const response = await t.post('/webhooks', body, acct.token);
  expect(response.status, response.text).toBe(201);
  return response.body;
}

export interface DeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: { at: string; status: number | null; error: string | null; duration_ms: number; response_body: string | null }[];
  next_attempt_at: string | null;
  failure_reason: string | null;
  created_at: string;
}

export async function deliveriesOf(t: TestApp, acct: TestAccount, endpointId: string, query = ''): Promise<DeliveryView[]> {
  const response = await t.get(`/webhooks/${endpointId}/deliveries${query}`, acct.token);
  expect(response.status, response.text).toBe(200);
  return response.body._embedded.deliveries;
}

export async function onlyDelivery(t: TestApp, acct: TestAccount, endpointId: string): Promise<DeliveryView> {
  const deliveries = await deliveriesOf(t, acct, endpointId);
  expect(deliveries).toHaveLength(1);
  return deliveries[0] as DeliveryView;
}

export async function createCase(t: TestApp, acct: TestAccount, body: Record<string, unknown> = { title: 'Printer on fire' }): Promise<{ id: string }> {
  const response = await t.post('/cases', body, acct.token);
  expect(response.status, response.text).toBe(201);
  return response.body;
}
