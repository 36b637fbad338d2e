import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, DATABASES, databaseUrl, TestApp, type TestAccount } from '../support/harness.js';
import { eventually } from '../support/eventually.js';
import { IsolatedSchema } from '../support/isolated-schema.js';

describe.each(DATABASES)('managing OAuth clients and service tokens (%s)', (kind) => {
  let t: TestApp;
  let other: TestApp;
  let url: string;

  beforeAll(async () => {
    // Two nodes on one database (PostgreSQL; SQLite runs one node, and its second app here only
    // reads and answers): what one revokes, the other must refuse too.
    url = kind === 'postgres' ? (await IsolatedSchema.create()).url : databaseUrl('sqlite');
    t = await TestApp.start(kind, {}, { DATABASE_URL: url });
    other = await TestApp.start(kind, {}, { DATABASE_URL: url });
  });

  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  const tokenFor = async (app: TestApp, clientId: string, clientSecret: string) =>
    app.post('/oauth/token', { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });

  async function secondClient(acct: TestAccount, name = 'crm') {
    const created = await t.post(`/admin/accounts/${acct.id}/clients`, { name, scopes: ['calls:read'] }, ADMIN_TOKEN);
    expect(created.status).toBe(201);
    return created.body as { client_id: string; client_secret: string };
  }

  it('lists an account\'s clients without their secrets, page by page', async () => {
    const acct = await t.newAccount(['calls:read', 'directory:read']);
    const crm = await secondClient(acct);
    const first = await t.get(`/admin/accounts/${acct.id}/clients?per_page=1`, ADMIN_TOKEN);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 2, count: 1, per_page: 1 });
    const second = await t.get(first.body._links.next.href, ADMIN_TOKEN);
    expect(second.body._links.next).toBeUndefined();
    const listed = [...first.body._embedded.clients, ...second.body._embedded.clients];
    expect(listed.map((c: { client_id: string }) => c.client_id).sort()).toEqual([acct.clientId, crm.client_id].sort());
    expect(listed.find((c: { client_id: string }) => c.client_id === acct.clientId)).toEqual({
      client_id: acct.clientId, name: 'tests', scopes: ['calls:read', 'directory:read'], created_at: expect.stringMatching(/Z$/), revoked_at: null,
    });
    expect(JSON.stringify(listed)).not.toContain(acct.clientSecret);
    expect((await t.get('/admin/accounts/nope/clients', ADMIN_TOKEN)).status).toBe(404);
    expect((await t.get(`/admin/accounts/${acct.id}/clients`, acct.token)).status).toBe(401);
  });

  it('revokes a client: its tokens stop at once, its secret gets no new one, other clients go on', async () => {
    const acct = await t.newAccount(['calls:read']);
    const crm = await secondClient(acct);
    const crmToken = (await tokenFor(t, crm.client_id, crm.client_secret)).body.access_token as string;
    expect((await t.get('/calls', acct.token)).status).toBe(200);

    const revoked = await t.delete(`/admin/accounts/${acct.id}/clients/${acct.clientId}`, ADMIN_TOKEN);
    expect(revoked.status).toBe(204);
    expect((await t.get('/calls', acct.token)).status).toBe(401);
    const refused = await tokenFor(other, acct.clientId, acct.clientSecret);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    expect((await t.get('/calls', crmToken)).status).toBe(200);

    expect((await t.delete(`/admin/accounts/${acct.id}/clients/${acct.clientId}`, ADMIN_TOKEN)).status).toBe(404);
    const listed = await t.get(`/admin/accounts/${acct.id}/clients`, ADMIN_TOKEN);
    expect(listed.body._embedded.clients.find((c: { client_id: string }) => c.client_id === acct.clientId).revoked_at).toMatch(/Z$/);
  });

  it.runIf(kind === 'postgres')('ends a revoked client\'s tokens on every node at once', async () => {
    const acct = await t.newAccount(['calls:read']);
    expect((await other.get('/calls', acct.token)).status).toBe(200);
    expect((await t.delete(`/admin/accounts/${acct.id}/clients/${acct.clientId}`, ADMIN_TOKEN)).status).toBe(204);
    await eventually(async () => expect((await other.get('/calls', acct.token)).status).toBe(401));
  });

  it('keeps a revocation for a node started after it', async () => {
    const acct = await t.newAccount(['calls:read']);
    expect((await t.delete(`/admin/accounts/${acct.id}/clients/${acct.clientId}`, ADMIN_TOKEN)).status).toBe(204);
    const later = await TestApp.start(kind, {}, { DATABASE_URL: url });
    try {
      expect((await later.get('/calls', acct.token)).status).toBe(401);
    } finally {
      await later.close();
    }
  });

  it('answers 404 for a client of another account, and leaves it working', async () => {
    const owner = await t.newAccount(['calls:read']);
    const stranger = await t.newAccount(['calls:read']);
    expect((await t.delete(`/admin/accounts/${stranger.id}/clients/${owner.clientId}`, ADMIN_TOKEN)).status).toBe(404);
    expect((await t.post(`/admin/accounts/${stranger.id}/clients/${owner.clientId}/secret`, undefined, ADMIN_TOKEN)).status).toBe(404);
    expect((await t.delete(`/admin/accounts/${owner.id}/clients/no-such-client`, ADMIN_TOKEN)).status).toBe(404);
    expect((await t.get('/calls', owner.token)).status).toBe(200);
    expect((await tokenFor(t, owner.clientId, owner.clientSecret)).status).toBe(200);
  });

  it('rotates a client\'s secret: the new one works, the old one stops, tokens already issued run until they expire', async () => {
    const acct = await t.newAccount(['calls:read']);
    const rotated = await t.post(`/admin/accounts/${acct.id}/clients/${acct.clientId}/secret`, undefined, ADMIN_TOKEN);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ client_id: acct.clientId, client_secret: expect.any(String), scopes: ['calls:read'] });
    expect(rotated.body.client_secret).not.toBe(acct.clientSecret);
    expect((await tokenFor(other, acct.clientId, acct.clientSecret)).status).toBe(401);
    const fresh = await tokenFor(other, acct.clientId, rotated.body.client_secret);
    expect(fresh.status).toBe(200);
    expect((await other.get('/calls', fresh.body.access_token)).status).toBe(200);
    expect((await t.get('/calls', acct.token)).status).toBe(200);
    const row = await t.services.storage.db.selectFrom('clients').select('secret_hash').where('id', '=', acct.clientId).executeTakeFirstOrThrow();
    expect(row.secret_hash).not.toContain(rotated.body.client_secret);
  });

  it('replays a rotation sent again with its Idempotency-Key, and rotates no revoked client', async () => {
    const acct = await t.newAccount(['calls:read']);
    const path = `/admin/accounts/${acct.id}/clients/${acct.clientId}/secret`;
    const key = { 'idempotency-key': `rotate-${Math.random().toString(36).slice(2)}` };
    const first = await t.post(path, undefined, ADMIN_TOKEN, key);
    const again = await t.post(path, undefined, ADMIN_TOKEN, key);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.client_secret).toBe(first.body.client_secret);
    expect((await tokenFor(t, acct.clientId, first.body.client_secret)).status).toBe(200);
    expect((await t.delete(`/admin/accounts/${acct.id}/clients/${acct.clientId}`, ADMIN_TOKEN)).status).toBe(204);
    expect((await t.post(path, undefined, ADMIN_TOKEN)).status).toBe(404);
  });

  it('lists an account\'s service tokens, revoked ones marked, never the tokens', async () => {
    const acct = await t.newAccount(['calls:read']);
    const make = (name: string) => t.post(`/admin/accounts/${acct.id}/service-tokens`, { name, scopes: ['callback:write'], expires_at: null }, ADMIN_TOKEN);
    const form = (await make('web-form')).body as { id: string; token: string };
    const kiosk = (await make('kiosk')).body as { id: string; token: string };
    expect((await t.delete(`/admin/accounts/${acct.id}/service-tokens/${kiosk.id}`, ADMIN_TOKEN)).status).toBe(204);
    const listed = await t.get(`/admin/accounts/${acct.id}/service-tokens`, ADMIN_TOKEN);
    expect(listed.status).toBe(200);
    expect(listed.body.total).toBe(2);
    const byId = new Map(listed.body._embedded.service_tokens.map((s: { id: string }) => [s.id, s]));
    expect(byId.get(form.id)).toEqual({ id: form.id, name: 'web-form', scopes: ['callback:write'], expires_at: null, created_at: expect.stringMatching(/Z$/), revoked_at: null });
    expect(byId.get(kiosk.id)).toMatchObject({ name: 'kiosk', revoked_at: expect.stringMatching(/Z$/) });
    expect(listed.text).not.toContain(form.token.split('.')[1]);
  });
});
