import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/domains/accounts/index.js';
import { DATABASES, TestApp } from '../support/harness.js';
import { createEndpoint } from './webhooks-support.js';

const URL_A = 'https://hooks.example.com/switchboard';

describe.each(DATABASES)('webhook endpoints API (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  it('creates an endpoint, showing a generated Standard Webhooks secret once, on create only', async () => {
    const acct = await t.newAccount();
    const created = await createEndpoint(t, acct, { url: URL_A, events: ['message.*', 'case.created'], description: 'CRM' });
    expect(created).toMatchObject({ url: URL_A, events: ['message.*', 'case.created'], description: 'CRM', enabled: true, disabled_reason: null });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);

    const read = await t.get(`/webhooks/${created.id}`, acct.token);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ ...created, secret: undefined, created_at: read.body.created_at, updated_at: read.body.updated_at });
    expect(read.text).not.toContain(created.secret);
    const list = await t.get('/webhooks', acct.token);
    expect(list.body).toMatchObject({ total: 1, count: 1, per_page: 50 });
    expect(list.body._embedded.webhooks[0].id).toBe(created.id);
    expect(list.text).not.toContain('whsec_');

    const other = await createEndpoint(t, acct, { url: URL_A, events: ['case.*'] });
    expect(other.secret).not.toBe(created.secret);
  });

  it('keeps the secret encrypted at rest: no column of the row holds it', async () => {
    const acct = await t.newAccount();
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const created = await createEndpoint(t, acct, { url: URL_A, events: ['case.*'], secret });
    expect(created.secret).toBe(secret);
    const row = await t.services.storage.db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', acct.id).where('id', '=', created.id).executeTakeFirstOrThrow();
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(secret.slice('whsec_'.length));
    expect(stored).not.toContain(Buffer.alloc(32, 7).toString('hex'));
    expect(row.secret).toMatch(/^v1\./);
  });

  it('rejects unknown event types and wildcards, bad URLs, bad secrets and unknown fields with 400 naming the field', async () => {
    const acct = await t.newAccount();
    const cases: [Record<string, unknown>, string][] = [
      [{ url: URL_A, events: ['message.sent', 'message.bounced'] }, 'events.1'],
      [{ url: URL_A, events: ['ticket.*'] }, 'events.0'],
      [{ url: URL_A, events: ['*'] }, 'events.0'],
      [{ url: URL_A, events: [] }, 'events'],
      [{ url: URL_A }, 'events'],
      [{ url: 'ftp://example.com/x', events: ['case.*'] }, 'url'],
      [{ url: 'not a url', events: ['case.*'] }, 'url'],
      [{ events: ['case.*'] }, 'url'],
      [{ url: URL_A, events: ['case.*'], secret: '' }, 'secret'],
      [{ url: URL_A, events: ['case.*'], secret: 'whsec_not base64!' }, 'secret'],
      [{ url: URL_A, events: ['case.*'], secret: `whsec_${Buffer.alloc(65).toString('base64')}` }, 'secret'],
      // Standard Webhooks keys are 24 to 64 bytes.
      [{ url: URL_A, events: ['case.*'], secret: 'whsec_AQ==' }, 'secret'],
      [{ url: URL_A, events: ['case.*'], colour: 'blue' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const response = await t.post('/webhooks', body, acct.token);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.fields.map((f: { name: string }) => f.name), JSON.stringify(body)).toContain(field);
    }
    expect((await t.get('/webhooks', acct.token)).body.total).toBe(0);
  });

  it('changes URL, events and enabled with PATCH, and deletes with 204 (then 404)', async () => {
    const acct = await t.newAccount();
    const { id } = await createEndpoint(t, acct, { url: URL_A, events: ['case.*'] });
    const patched = await t.patch(`/webhooks/${id}`, { url: 'http://hooks.example.com/v2', events: ['message.delivered', 'message.read'], enabled: false }, acct.token);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ id, url: 'http://hooks.example.com/v2', events: ['message.delivered', 'message.read'], enabled: false });
    expect(patched.body.secret).toBeUndefined();
    expect((await t.get(`/webhooks/${id}`, acct.token)).body).toEqual(patched.body);
    expect((await t.patch(`/webhooks/${id}`, { events: ['message.opened'] }, acct.token)).body.fields[0].name).toBe('events.0');
    expect((await t.patch(`/webhooks/${id}`, { secret: 'whsec_x' }, acct.token)).status).toBe(400);

    expect((await t.delete(`/webhooks/${id}`, acct.token)).status).toBe(204);
    expect((await t.get(`/webhooks/${id}`, acct.token)).status).toBe(404);
    expect((await t.get(`/webhooks/${id}/deliveries`, acct.token)).status).toBe(404);
    expect((await t.delete(`/webhooks/${id}`, acct.token)).status).toBe(404);
    expect((await t.patch('/webhooks/nope', { enabled: true }, acct.token)).status).toBe(404);
  });

  it('pages the list by cursor', async () => {
    const acct = await t.newAccount();
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push((await createEndpoint(t, acct, { url: `${URL_A}/${i}`, events: ['case.*'] })).id);
    const first = await t.get('/webhooks?per_page=2', acct.token);
    expect(first.body).toMatchObject({ total: 3, count: 2, per_page: 2 });
    const second = await t.get(first.body._links.next.href, acct.token);
    expect(second.body._links.next).toBeUndefined();
    expect([...first.body._embedded.webhooks, ...second.body._embedded.webhooks].map((w: { id: string }) => w.id)).toEqual(ids);
  });

  it('needs a scope of an event family, and of every family an endpoint subscribes to in order to change it', async () => {
    const full = await t.newAccount();
    const none = await t.newAccount(['directory:read']);
    const denied = await t.get('/webhooks', none.token);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('insufficient_scope');

    // A messaging integration (scopes messages:read and messages:write) manages message.* endpoints only.
    const messagingOnly = await t.newAccount(['messages:read', 'messages:write']);
    expect((await t.post('/webhooks', { url: URL_A, events: ['message.*'] }, messagingOnly.token)).status).toBe(201);
    const refused = await t.post('/webhooks', { url: URL_A, events: ['message.*', 'case.resolved'] }, messagingOnly.token);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'insufficient_scope' });
    expect(refused.body.detail).toContain('cases-public:read');
    expect(refused.headers['www-authenticate']).toContain('insufficient_scope');
    const mine = (await t.get('/webhooks', messagingOnly.token)).body._embedded.webhooks[0];
    expect((await t.patch(`/webhooks/${mine.id}`, { events: ['case.*'] }, messagingOnly.token)).status).toBe(403);
    expect((await t.patch(`/webhooks/${mine.id}`, { events: ['message.read'] }, messagingOnly.token)).status).toBe(200);

    // A token with only cases scopes receives case events; a callback web form (callback:write) gets callback events only.
    const casesOnly = await t.newAccount(['cases-public:read']);
    expect((await t.post('/webhooks', { url: URL_A, events: ['case.*'] }, casesOnly.token)).status).toBe(201);
    expect((await t.post('/webhooks', { url: URL_A, events: ['interaction.completed'] }, casesOnly.token)).status).toBe(403);
    const webForm = await t.newAccount(['callback:write']);
    expect((await t.post('/webhooks', { url: URL_A, events: ['callback.*'] }, webForm.token)).status).toBe(201);

    // Every scope of the contract together covers every family.
    expect((await t.post('/webhooks', { url: URL_A, events: ['message.*', 'case.*', 'interaction.*', 'callback.*', 'continuity.*'] }, full.token)).status).toBe(201);
    expect(SCOPES).toContain('messages:read');
  });

  it('refuses to change or delete an endpoint subscribed to families the token has no scope for', async () => {
    const acct = await t.newAccount();
    const { id } = await createEndpoint(t, acct, { url: URL_A, events: ['case.*'] });
    // A second client of the same account with messaging scopes only.
    const client = await t.post(`/admin/accounts/${acct.id}/clients`, { name: 'messaging', scopes: ['messages:read'] }, 'test-operator-token-0123456789');
    const token = (await t.post('/oauth/token', { grant_type: 'client_credentials', client_id: client.body.client_id, client_secret: client.body.client_secret })).body.access_token as string;
    expect((await t.get(`/webhooks/${id}`, token)).status).toBe(200);
    expect((await t.delete(`/webhooks/${id}`, token)).status).toBe(403);
    expect((await t.patch(`/webhooks/${id}`, { enabled: false }, token)).status).toBe(403);
    expect((await t.get(`/webhooks/${id}`, acct.token)).body.enabled).toBe(true);
  });

  it('coexists with the channel providers\' status webhooks on POST /webhooks/{channel}', async () => {
    const spec = (await t.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(spec.paths['/webhooks'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(spec.paths['/webhooks/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
    // One static path per channel: a templated /webhooks/{channel} would clash with /webhooks/{id}.
    expect(spec.paths['/webhooks/{channel}']).toBeUndefined();
    for (const channel of ['fbMessenger', 'whatsApp', 'sms', 'email']) expect(Object.keys(spec.paths[`/webhooks/${channel}`] ?? {}), channel).toContain('post');
    // A provider callback is public (no bearer token): it reaches messaging, not these routes.
    const provider = await t.request('POST', '/webhooks/sms', { raw: 'MessageSid=SM1&MessageStatus=delivered', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(provider.body?.code).not.toBe('insufficient_scope');
    expect(provider.status === 404 ? provider.body.detail : 'answered by messaging').toMatch(/provider status webhook|answered by messaging/);
  });
});
