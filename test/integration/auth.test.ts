import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { AccessTokens } from '../../src/domains/accounts/tokens.js';
import { ADMIN_TOKEN, DATABASES, SIGNING_SECRET, TestApp } from '../support/harness.js';

describe.each(DATABASES)('accounts, OAuth client credentials and service tokens (%s)', (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  async function client(scopes: string[] = ['directory:read', 'calls:read']) {
    const account = (await t.post('/admin/accounts', { name: 'Acme', timezone: 'Europe/Lisbon', default_country: 'PT' }, ADMIN_TOKEN)).body;
    const created = await t.post(`/admin/accounts/${account.id}/clients`, { name: 'automation', scopes }, ADMIN_TOKEN);
    expect(created.status).toBe(201);
    return { account, ...created.body } as { account: { id: string }; client_id: string; client_secret: string; scopes: string[] };
  }

  const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    t.request('POST', '/oauth/token', { raw: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

  it('creates accounts with defaults and validates them', async () => {
    const created = await t.post('/admin/accounts', { name: 'Defaults' }, ADMIN_TOKEN);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Defaults', timezone: 'UTC', default_country: 'US' });
    expect(created.body.created_at).toMatch(/Z$/);
    const bad = await t.post('/admin/accounts', { name: '', timezone: 'Mars/Olympus', default_country: 'XX' }, ADMIN_TOKEN);
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['default_country', 'name', 'timezone']);
    expect((await t.post('/admin/accounts/nope/clients', { name: 'x', scopes: ['calls:read'] }, ADMIN_TOKEN)).status).toBe(404);
    const badScope = await t.post(`/admin/accounts/${created.body.id}/clients`, { name: 'x', scopes: ['calls:read', 'root'] }, ADMIN_TOKEN);
    expect(badScope.body.fields[0].name).toBe('scopes.1');
    // A name is one line of text: a newline or a NUL would forge lines in lists and logs.
    const forged = await t.post(`/admin/accounts/${created.body.id}/clients`, { name: 'ops\nadmin', scopes: ['calls:read'] }, ADMIN_TOKEN);
    expect(forged.body.fields).toEqual([{ name: 'name', description: 'must not contain control characters such as newlines' }]);
  });

  it('issues tokens for Basic and body credentials, form-encoded or JSON', async () => {
    const c = await client();
    const viaBasic = await form({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) });
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'directory:read calls:read' });
    expect(viaBasic.headers['cache-control']).toBe('no-store');
    const viaForm = await form({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret, scope: 'calls:read' });
    expect(viaForm.body.scope).toBe('calls:read');
    const viaJson = await t.post('/oauth/token', { grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret });
    expect(viaJson.status).toBe(200);
    const narrowed = viaForm.body.access_token as string;
    expect((await t.get('/calls', narrowed)).status).toBe(200);
    expect((await t.get('/numbers', narrowed)).status).toBe(403);
  });

  it('answers token errors in the RFC 6749 shape', async () => {
    const c = await client();
    const wrongSecret = await form({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, 'nope') });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    expect(wrongSecret.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await form({ grant_type: 'client_credentials' })).body.error).toBe('invalid_client');
    expect((await form({ grant_type: 'password', client_id: c.client_id, client_secret: c.client_secret })).body).toMatchObject({ error: 'unsupported_grant_type' });
    expect((await form({ client_id: c.client_id, client_secret: c.client_secret })).body).toMatchObject({ error: 'invalid_request' });
    const notGranted = await form({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret, scope: 'calls:read callback:write' });
    expect(notGranted.status).toBe(400);
    expect(notGranted.body.error).toBe('invalid_scope');
  });

  it('answers malformed or doubled client credentials in the RFC 6749 shape, and reads a blank scope as omitted', async () => {
    const c = await client();
    const undecodable = await form({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from('a%zz:b').toString('base64')}` });
    expect(undecodable.status).toBe(401);
    expect(undecodable.body).toMatchObject({ error: 'invalid_client' });
    const other = await client();
    const doubled = await form({ grant_type: 'client_credentials', client_id: other.client_id, client_secret: other.client_secret }, { authorization: basic(c.client_id, c.client_secret) });
    expect(doubled.status).toBe(400);
    expect(doubled.body).toMatchObject({ error: 'invalid_request' });
    // A library repeating the Basic client's id in the body authenticates once.
    const repeated = await form({ grant_type: 'client_credentials', client_id: c.client_id }, { authorization: basic(c.client_id, c.client_secret) });
    expect(repeated.status).toBe(200);
    const blank = await form({ grant_type: 'client_credentials', scope: ' ' }, { authorization: basic(c.client_id, c.client_secret) });
    expect(blank.body.scope).toBe('directory:read calls:read');
    const wrongType = await t.post('/oauth/token', { grant_type: 'client_credentials', client_id: 42, client_secret: c.client_secret });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toMatchObject({ error: 'invalid_request' });
  });

  it('says when guessed secrets hold a client back, and for how long, instead of calling the right secret wrong', async () => {
    const c = await client();
    for (let i = 0; i < 5; i++) expect((await form({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, `guess-${i}`) })).body.error_description).toBe('unknown client or wrong secret');
    const held = await form({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) });
    expect(held.status).toBe(401);
    expect(held.body).toEqual({ error: 'invalid_client', error_description: expect.stringMatching(/^too many wrong secrets for this client in the last minute/) });
    expect(held.headers['retry-after']).toBe('60');
    clock.advance(60_000);
    expect((await form({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) })).status).toBe(200);
  });

  it('stores an account\'s time zone and country as IANA and ISO spell them', async () => {
    const created = await t.post('/admin/accounts', { name: 'Spelling', timezone: 'europe/lisbon', default_country: 'pt' }, ADMIN_TOKEN);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ timezone: 'Europe/Lisbon', default_country: 'PT' });
    const link = await t.post('/admin/accounts', { name: 'Link', timezone: 'US/Eastern' }, ADMIN_TOKEN);
    expect(link.body.timezone).toBe('US/Eastern');
  });

  it('stores only hashes of secrets', async () => {
    const c = await client();
    const row = await t.services.storage.db.selectFrom('clients').selectAll().where('id', '=', c.client_id).executeTakeFirstOrThrow();
    expect(row.secret_hash).not.toContain(c.client_secret);
    expect(row.secret_hash).toMatch(/^scrypt\$/);
  });

  it('expires access tokens after expires_in', async () => {
    const c = await client();
    const token = (await t.post('/oauth/token', { grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret })).body.access_token;
    expect((await t.get('/calls', token)).status).toBe(200);
    clock.advance(3601_000);
    const expired = await t.get('/calls', token);
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('unauthorized');
  });

  it('rejects tokens signed with another key or tampered with', async () => {
    const c = await client();
    const token: string = (await t.post('/oauth/token', { grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret })).body.access_token;
    const [header, payload] = token.split('.');
    const escalated = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), scope: 'directory:write' })).toString('base64url');
    expect((await t.get('/calls', `${header}.${escalated}.${token.split('.')[2]}`)).status).toBe(401);
  });

  it('refuses a repeated parameter, and a body of another type or too large, in the RFC 6749 shape', async () => {
    const c = await client();
    const doubled = await t.request('POST', '/oauth/token', {
      raw: `grant_type=client_credentials&grant_type=client_credentials&client_id=${c.client_id}&client_secret=${c.client_secret}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(doubled.status).toBe(400);
    expect(doubled.body).toEqual({ error: 'invalid_request', error_description: 'the parameter grant_type is included more than once' });
    const text = await t.request('POST', '/oauth/token', { raw: 'grant_type=client_credentials', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    expect(text.headers['cache-control']).toBe('no-store');
  });

  it('refuses a correctly signed token whose account is not in the database, as invalid', async () => {
    const tokens = new AccessTokens(SIGNING_SECRET, 3600, () => clock.now());
    const orphan = await tokens.sign({ accountId: '00000000-0000-7000-8000-000000000000', actor: 'nobody', scopes: ['directory:read', 'directory:write'] });
    for (const response of [await t.get('/numbers', orphan), await t.post('/numbers', { number: '+14155550100', name: 'Main' }, orphan)]) {
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    }
  });

  it('creates service tokens that work at once and stop at once when revoked', async () => {
    const c = await client();
    const created = await t.post(`/admin/accounts/${c.account.id}/service-tokens`, { name: 'web-form', scopes: ['calls:read'], expires_at: null }, ADMIN_TOKEN);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), token: expect.any(String), scopes: ['calls:read'] });
    const { id, token } = created.body as { id: string; token: string };
    expect((await t.get('/calls', token)).status).toBe(200);
    expect((await t.get('/numbers', token)).status).toBe(403);
    const row = await t.services.storage.db.selectFrom('service_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.token_hash).not.toContain(token);
    expect((await t.delete(`/admin/accounts/${c.account.id}/service-tokens/${id}`, ADMIN_TOKEN)).status).toBe(204);
    expect((await t.get('/calls', token)).status).toBe(401);
    expect((await t.delete(`/admin/accounts/${c.account.id}/service-tokens/${id}`, ADMIN_TOKEN)).status).toBe(404);
  });

  it('honours a service token expiry', async () => {
    const c = await client();
    const expiresAt = new Date(clock.now().getTime() + 60_000).toISOString();
    const { token } = (await t.post(`/admin/accounts/${c.account.id}/service-tokens`, { name: 'temp', scopes: ['calls:read'], expires_at: expiresAt }, ADMIN_TOKEN)).body;
    expect((await t.get('/calls', token)).status).toBe(200);
    clock.advance(61_000);
    expect((await t.get('/calls', token)).status).toBe(401);
    // One that would be dead on arrival is refused, naming the field.
    const past = await t.post(`/admin/accounts/${c.account.id}/service-tokens`, { name: 'typo', scopes: ['calls:read'], expires_at: '2020-01-01T00:00:00Z' }, ADMIN_TOKEN);
    expect(past.status).toBe(400);
    expect(past.body.fields).toEqual([{ name: 'expires_at', description: 'must be in the future' }]);
  });

  it('holds a service token expiry written with an offset in UTC, and expires it at that instant', async () => {
    const c = await client();
    const expiresAt = new Date(clock.now().getTime() + 60_000);
    const withOffset = new Date(expiresAt.getTime() + 5 * 3600_000).toISOString().replace('Z', '+05:00');
    const created = await t.post(`/admin/accounts/${c.account.id}/service-tokens`, { name: 'temp', scopes: ['calls:read'], expires_at: withOffset }, ADMIN_TOKEN);
    expect(created.status).toBe(201);
    expect(created.body.expires_at).toBe(expiresAt.toISOString());
    expect((await t.get('/calls', created.body.token)).status).toBe(200);
    clock.advance(61_000);
    expect((await t.get('/calls', created.body.token)).status).toBe(401);
  });

  it('updates per-account limits', async () => {
    const c = await client();
    const limits = await t.patch(`/admin/accounts/${c.account.id}/limits`, { flows_interactions_per_second: 5 }, ADMIN_TOKEN);
    expect(limits.status).toBe(200);
    expect(limits.body).toEqual({ flows_interactions_per_second: 5 });
    expect((await t.get(`/admin/accounts/${c.account.id}`, ADMIN_TOKEN)).body.limits.flows_interactions_per_second).toBe(5);
    expect((await t.patch(`/admin/accounts/${c.account.id}/limits`, { flows_interactions_per_second: 0 }, ADMIN_TOKEN)).status).toBe(400);
  });
});
