import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/kernel/json.js';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ADMIN_TOKEN, DATABASES, TestApp } from '../support/harness.js';

describe.each(DATABASES)('HTTP conventions (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  const expectProblem = (response: { status: number; headers: Record<string, unknown>; body: any }, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status, code, type: `/problems/${code}` });
    expect(typeof response.body.title).toBe('string');
    expect(typeof response.body.detail).toBe('string');
  };

  it('answers malformed JSON with 400 malformed_json', async () => {
    const acct = await t.newAccount();
    const response = await t.request('POST', '/numbers', { token: acct.token, raw: '{"number": ', headers: { 'content-type': 'application/json' } });
    expectProblem(response, 400, 'malformed_json');
    // Nested past any body of this API: refused before the checks that walk it.
    const deep = await t.request('POST', '/cases', { token: acct.token, raw: `{"title":"x","custom_fields":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`, headers: { 'content-type': 'application/json' } });
    expectProblem(deep, 400, 'malformed_json');
    expect(deep.body.detail).toContain('deeper than 64 levels');
  });

  it('rejects unknown fields and wrong types naming each field', async () => {
    const acct = await t.newAccount();
    const unknown = await t.post('/numbers', { number: '+14155550100', name: 'Main', colour: 'red' }, acct.token);
    expectProblem(unknown, 400, 'validation_failed');
    expect(unknown.body.fields).toContainEqual({ name: 'colour', description: 'is not a known field' });
    const wrongType = await t.post('/numbers', { number: 14155550100, name: 'Main' }, acct.token);
    expectProblem(wrongType, 400, 'validation_failed');
    expect(wrongType.body.fields.map((f: { name: string }) => f.name)).toEqual(['number']);
    const notE164 = await t.post('/numbers', { number: '4155550100', name: 'Main' }, acct.token);
    expect(notE164.body.fields[0].name).toBe('number');
    // Only the number is needed: it names itself.
    const bare = await t.post('/numbers', { number: '+14155550100' }, acct.token);
    expect(bare.status, bare.text).toBe(201);
    expect(bare.body).toMatchObject({ number: '+14155550100', name: '+14155550100', inbound_flow_id: null });
  });

  it('answers an oversized body with 413', async () => {
    const small = await TestApp.start(db, {}, { SWITCHBOARD_BODY_LIMIT_BYTES: '2048' });
    try {
      const acct = await small.newAccount();
      const response = await small.post('/numbers', { number: '+14155550100', name: 'x'.repeat(5000) }, acct.token);
      expectProblem(response, 413, 'payload_too_large');
    } finally {
      await small.close();
    }
  });

  it('answers unknown routes with 404 problem', async () => {
    expectProblem(await t.get('/no/such/route'), 404, 'not_found');
  });

  it('answers a path it cannot decode with a problem document naming the path', async () => {
    const acct = await t.newAccount();
    const response = await t.get('/numbers/%E0%A4%A', acct.token);
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.fields).toEqual([{ name: 'path', description: 'is not a valid URL component' }]);
  });

  it('distinguishes 401 (no or bad token) from 403 (missing scope)', async () => {
    const none = await t.get('/numbers');
    expectProblem(none, 401, 'unauthorized');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const bad = await t.get('/numbers', 'not-a-token');
    expectProblem(bad, 401, 'unauthorized');
    const readOnly = await t.newAccount(['directory:read']);
    expectProblem(await t.post('/numbers', { number: '+14155550100', name: 'Main' }, readOnly.token), 403, 'insufficient_scope');
    expect((await t.get('/numbers', readOnly.token)).status).toBe(200);
  });

  it('sends the Bearer challenge without an error code when no token was sent (RFC 6750 §3.1)', async () => {
    expect((await t.get('/numbers')).headers['www-authenticate']).toBe('Bearer realm="switchboard"');
    expect((await t.get('/numbers', 'not-a-token')).headers['www-authenticate']).toBe('Bearer realm="switchboard", error="invalid_token"');
  });

  it('takes an empty body sent as JSON for no body: routes without one answer as usual, routes needing one name it', async () => {
    const acct = await t.newAccount();
    const json = { 'content-type': 'application/json' };
    const created = await t.post('/skills', { name: 'Sales' }, acct.token);
    const deleted = await t.request('DELETE', `/skills/${created.body.id}`, { token: acct.token, raw: '', headers: json });
    expect(deleted.status).toBe(204);
    const bodiless = await t.request('POST', '/skills', { token: acct.token, raw: '', headers: json });
    expectProblem(bodiless, 400, 'validation_failed');
    expect(bodiless.body.fields[0].name).toBe('body');
  });

  it('refuses a compressed body with 415 instead of parsing it', async () => {
    const acct = await t.newAccount();
    const response = await t.request('POST', '/skills', { token: acct.token, raw: '{"name": "Sales"}', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expectProblem(response, 415, 'unsupported_media_type');
    const identity = await t.request('POST', '/skills', { token: acct.token, raw: '{"name": "Sales"}', headers: { 'content-type': 'application/json', 'content-encoding': 'identity' } });
    expect(identity.status).toBe(201);
  });

  it('reads JSON only: a form or plain text is 415, and bytes that are not UTF-8 are malformed JSON', async () => {
    const acct = await t.newAccount();
    const form = await t.request('PATCH', '/skills/any', { token: acct.token, raw: 'name=Sales', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectProblem(form, 415, 'unsupported_media_type');
    const text = await t.request('POST', '/skills', { token: acct.token, raw: '{"name": "Sales"}', headers: { 'content-type': 'text/plain' } });
    expectProblem(text, 415, 'unsupported_media_type');
    const latin1 = Buffer.concat([Buffer.from('{"name": "Caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const notUtf8 = await t.request('POST', '/skills', { token: acct.token, raw: latin1, headers: { 'content-type': 'application/json' } });
    expectProblem(notUtf8, 400, 'malformed_json');
    expect((await t.get('/skills', acct.token)).body.total).toBe(0);
    const utf8 = await t.request('POST', '/skills', { token: acct.token, raw: Buffer.from('{"name": "Café"}'), headers: { 'content-type': 'application/json' } });
    expect(utf8.body.name).toBe('Café');
  });

  it('refuses a time filter that ends before it starts on every list that has one, naming its end', async () => {
    const acct = await t.newAccount();
    const flow = await t.post('/flows', { name: 'Empty', definition: { start: 'end', components: [{ id: 'end', type: 'end_flow' }] } }, acct.token);
    const inverted = (name: string) => `${name}_from=2026-11-24T00:00:00Z&${name}_to=2026-11-23T21:00:00-02:00`;
    const lists: [string, string][] = [['/messages', 'created'], ['/callbacks', 'created'], ['/calls', 'started'], [`/flows/${flow.body.id}/executions`, 'created']];
    for (const [path, name] of lists) {
      const response = await t.get(`${path}?${inverted(name)}`, acct.token);
      expectProblem(response, 400, 'validation_failed');
      expect(response.body.fields, path).toEqual([{ name: `${name}_to`, description: `must not be before ${name}_from` }]);
    }
    // 23:00 at -02:00 is 01:00 the next day in UTC: not inverted.
    expect((await t.get(`/messages?created_from=2026-11-24T00:00:00Z&created_to=2026-11-23T23:00:00-02:00`, acct.token)).status).toBe(200);
  });

  it('takes page=1 as the first page of any list and points page numbers after it at the cursor', async () => {
    const acct = await t.newAccount();
    for (const path of ['/skills', '/cases', '/messages', '/webhooks']) {
      const first = await t.get(`${path}?page=1&per_page=10`, acct.token);
      expect(first.status, path).toBe(200);
      expect(first.body.per_page).toBe(10);
      const second = await t.get(`${path}?page=2`, acct.token);
      expectProblem(second, 400, 'validation_failed');
      expect(second.body.fields, path).toEqual([{ name: 'page', description: expect.stringContaining('_links.next') }]);
    }
  });

  it('authenticates before reading the body', async () => {
    const response = await t.request('POST', '/numbers', { raw: '{broken', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(401);
  });

  it('hides internal messages on 5xx and returns the request id', async () => {
    const acct = await t.newAccount();
    const numbers = t.services.directory.numbers;
    const original = numbers.list.bind(numbers);
    numbers.list = () => Promise.reject(new Error('secret internal detail: connection string postgres://user:pw@db'));
    try {
      const response = await t.get('/numbers', acct.token);
      expectProblem(response, 500, 'internal_error');
      expect(response.text).not.toContain('secret internal detail');
      expect(typeof response.body.request_id).toBe('string');
      expect(response.body.detail).toContain(response.body.request_id);
      expect(response.headers['x-request-id']).toBe(response.body.request_id);
    } finally {
      numbers.list = original;
    }
  });

  it('names every answer\'s request in X-Request-Id, keeping a caller\'s plain id and replacing any other', async () => {
    const acct = await t.newAccount();
    const made = await t.get('/numbers', acct.token);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await t.request('GET', '/no-such-route', { headers: { 'x-request-id': 'trace-42.a:b_c' } });
    expect(missing.status).toBe(404);
    expect(missing.headers['x-request-id']).toBe('trace-42.a:b_c');
    for (const unusable of ['x'.repeat(3000), 'has spaces', 'line\tbreak']) {
      const answered = await t.request('GET', '/health', { headers: { 'x-request-id': unusable } });
      expect(answered.headers['x-request-id'], unusable.slice(0, 20)).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('replays a creating POST with the same Idempotency-Key and rejects a different body', async () => {
    const acct = await t.newAccount();
    const headers = { 'idempotency-key': 'create-main-line' };
    const first = await t.post('/numbers', { number: '+14155550100', name: 'Main' }, acct.token, headers);
    expect(first.status).toBe(201);
    const repeat = await t.post('/numbers', { number: '+14155550100', name: 'Main' }, acct.token, headers);
    expect(repeat.status).toBe(201);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect((await t.get('/numbers', acct.token)).body.total).toBe(1);
    const reused = await t.post('/numbers', { number: '+14155550101', name: 'Other' }, acct.token, headers);
    expectProblem(reused, 422, 'idempotency_key_reused');
    const otherAccount = await t.newAccount();
    expect((await t.post('/numbers', { number: '+14155550100', name: 'Main' }, otherAccount.token, headers)).status).toBe(201);
  });

  it('answers a repeat that arrives while the first request with its key runs 409, with Retry-After', async () => {
    const acct = await t.newAccount();
    const body = { number: '+14155550100', name: 'Main' };
    // The first request's claim, as a node holds it while that request runs (over the body as validated, defaults filled in).
    const validated = { ...body, inbound_flow_id: null };
    await t.services.storage.db.insertInto('idempotency_keys').values({
      account_id: acct.id, route: 'POST /numbers', key: 'in-flight', request_hash: createHash('sha256').update(canonicalJson(validated)).digest('hex'),
      status_code: null, response_body: null, created_at: new Date().toISOString(),
    }).execute();
    const repeat = await t.post('/numbers', body, acct.token, { 'idempotency-key': 'in-flight' });
    expectProblem(repeat, 409, 'idempotency_key_in_progress');
    expect(repeat.headers['retry-after']).toBe('1');
  });

  it('compares the bodies of an Idempotency-Key whatever the order of their keys, nested ones included', async () => {
    const acct = await t.newAccount();
    const headers = { 'idempotency-key': 'case-with-fields' };
    const first = await t.post('/cases', { title: 'Refund', custom_fields: { a: 1, b: { c: 2, d: 3 } } }, acct.token, headers);
    expect(first.status).toBe(201);
    const reordered = await t.post('/cases', { custom_fields: { b: { d: 3, c: 2 }, a: 1 }, title: 'Refund' }, acct.token, headers);
    expect(reordered.headers['idempotent-replayed']).toBe('true');
    expect(reordered.body).toEqual(first.body);
  });

  it('replays a remembered error answer as a problem document', async () => {
    const acct = await t.newAccount();
    await t.post('/numbers', { number: '+14155550100', name: 'Main' }, acct.token);
    const headers = { 'idempotency-key': 'duplicate-line' };
    const first = await t.post('/numbers', { number: '+14155550100', name: 'Main' }, acct.token, headers);
    expectProblem(first, 409, 'already_exists');
    const repeat = await t.post('/numbers', { number: '+14155550100', name: 'Main' }, acct.token, headers);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expectProblem(repeat, 409, 'already_exists');
    expect(repeat.body).toEqual(first.body);
  });

  it('answers a token request it cannot parse in the RFC 6749 shape, not with a 500', async () => {
    const response = await t.request('POST', '/oauth/token', { raw: '{"grant_type": ', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });

  it('replays POST /webhooks by Idempotency-Key with the same secret, keeping the stored copy sealed', async () => {
    const acct = await t.newAccount();
    const headers = { 'idempotency-key': 'create-endpoint' };
    const body = { url: 'https://example.com/hooks', events: ['case.created'] };
    const first = await t.post('/webhooks', body, acct.token, headers);
    expect(first.status).toBe(201);
    const repeat = await t.post('/webhooks', body, acct.token, headers);
    expect(repeat.status).toBe(201);
    expect(repeat.body).toEqual(first.body);
    expect((await t.get('/webhooks', acct.token)).body.total).toBe(1);
    expectProblem(await t.post('/webhooks', { ...body, url: 'https://example.com/other' }, acct.token, headers), 422, 'idempotency_key_reused');
    const stored = await t.services.storage.db.selectFrom('idempotency_keys').select('response_body').where('account_id', '=', acct.id).execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.response_body).not.toContain(first.body.secret);
  });

  it('replays POST /sim/inbound-calls by Idempotency-Key without placing a second call', async () => {
    const acct = await t.newAccount();
    await t.post('/numbers', { number: '+14155550100', name: 'Main' }, acct.token);
    const headers = { 'idempotency-key': 'dial-in' };
    const first = await t.post('/sim/inbound-calls', { from: '+13855551234', to: '+14155550100' }, acct.token, headers);
    expect(first.status).toBe(201);
    const repeat = await t.post('/sim/inbound-calls', { from: '+13855551234', to: '+14155550100' }, acct.token, headers);
    expect(repeat.status).toBe(201);
    expect(repeat.body.call_id).toBe(first.body.call_id);
    expect((await t.get('/calls', acct.token)).body.total).toBe(1);
  });

  it('replays the operator\'s creating POSTs by Idempotency-Key, secrets included but never stored in clear', async () => {
    const key = { 'idempotency-key': `operator-${Math.random().toString(36).slice(2)}` };
    const account = await t.post('/admin/accounts', { name: 'Acme' }, ADMIN_TOKEN, key);
    expect(account.status).toBe(201);
    expect((await t.post('/admin/accounts', { name: 'Acme' }, ADMIN_TOKEN, key)).body).toEqual(account.body);
    expectProblem(await t.post('/admin/accounts', { name: 'Other' }, ADMIN_TOKEN, key), 422, 'idempotency_key_reused');
    const clients = `/admin/accounts/${account.body.id}/clients`;
    const client = await t.post(clients, { name: 'automation', scopes: ['calls:read'] }, ADMIN_TOKEN, key);
    expect(client.status).toBe(201);
    expect((await t.post(clients, { name: 'automation', scopes: ['calls:read'] }, ADMIN_TOKEN, key)).body).toEqual(client.body);
    const tokens = `/admin/accounts/${account.body.id}/service-tokens`;
    const token = await t.post(tokens, { name: 'web-form', scopes: ['callback:write'] }, ADMIN_TOKEN, key);
    expect(token.status).toBe(201);
    expect((await t.post(tokens, { name: 'web-form', scopes: ['callback:write'] }, ADMIN_TOKEN, key)).body).toEqual(token.body);
    const stored = await t.services.storage.db.selectFrom('idempotency_keys').select('response_body').where('key', '=', key['idempotency-key']).execute();
    expect(stored).toHaveLength(3);
    for (const row of stored) {
      expect(row.response_body).not.toContain(client.body.client_secret);
      expect(row.response_body).not.toContain(token.body.token);
    }
  });

  it('pages lists by cursor with HAL links', async () => {
    const acct = await t.newAccount();
    for (let i = 0; i < 5; i++) await t.post('/numbers', { number: `+1415555010${i}`, name: `Line ${i}` }, acct.token);
    const first = await t.get('/numbers?per_page=2', acct.token);
    expect(first.body).toMatchObject({ total: 5, count: 2, per_page: 2 });
    expect(first.body._links.self.href).toBe('/numbers?per_page=2');
    const seen = [...first.body._embedded.numbers];
    let next: string | undefined = first.body._links.next?.href;
    while (next) {
      const page = await t.get(next, acct.token);
      seen.push(...page.body._embedded.numbers);
      next = page.body._links.next?.href;
    }
    expect(seen.map((n: { number: string }) => n.number)).toEqual(['+14155550100', '+14155550101', '+14155550102', '+14155550103', '+14155550104']);
    expectProblem(await t.get('/numbers?per_page=501', acct.token), 400, 'validation_failed');
    for (const odd of ['0x10', '1e2', '%202', '2.0']) expectProblem(await t.get(`/numbers?per_page=${odd}`, acct.token), 400, 'validation_failed');
    expectProblem(await t.get('/numbers?cursor=garbage', acct.token), 400, 'validation_failed');
    // A cursor continues the list that issued it: not another list, nor another account's.
    const cursor = new URL(first.body._links.next.href, 'http://local').searchParams.get('cursor') ?? '';
    for (let i = 0; i < 3; i++) await t.post('/skills', { name: `Skill ${i}` }, acct.token);
    const elsewhere = await t.get(`/skills?cursor=${cursor}`, acct.token);
    expectProblem(elsewhere, 400, 'validation_failed');
    expect(elsewhere.body.fields).toEqual([{ name: 'cursor', description: 'was not issued for this list with these filters' }]);
    expectProblem(await t.get(`/numbers?cursor=${cursor}`, (await t.newAccount()).token), 400, 'validation_failed');
  });

  it('serves health, readiness, metrics and a valid OpenAPI 3.1 document covering every route', async () => {
    expect((await t.get('/health')).body).toEqual({ status: 'ok' });
    const ready = await t.get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database.status).toBe('up');
    const metrics = await t.get('/metrics');
    expect(metrics.text).toContain('switchboard_http_requests_total');
    expect(metrics.text).toContain('switchboard_call_log_buffered');
    const spec = await t.get('/openapi.json');
    expect(spec.body.openapi).toBe('3.1.0');
    const result = await new Validator().validate(spec.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const documented = new Set(Object.keys(spec.body.paths));
    for (const path of ['/numbers', '/numbers/{number}', '/fallback-experience/settings', '/fallback-experience/activation', '/fallback-experience/audit', '/telephony/inbound-calls', '/calls', '/calls/{call_id}', '/sim/phones/{number}', '/sim/inbound-calls', '/oauth/token', '/admin/accounts']) {
      expect(documented, path).toContain(path);
    }
    // Every DELETE is documented as what it answers: 204 without a body.
    const deletes = Object.entries(spec.body.paths as Record<string, { delete?: { responses: Record<string, unknown> } }>).filter(([, item]) => item.delete);
    expect(deletes.length).toBeGreaterThan(10);
    for (const [path, item] of deletes) expect(Object.keys(item.delete?.responses ?? {}), path).toEqual(['204']);
    const docs = await t.get('/docs');
    expect([200, 302]).toContain(docs.status);
  });

  it('keeps /admin behind the operator token and hides it when none is configured', async () => {
    expect((await t.post('/admin/accounts', { name: 'X' })).status).toBe(401);
    expect((await t.post('/admin/accounts', { name: 'X' }, 'wrong-token-wrong-token')).status).toBe(401);
    expect((await t.post('/admin/accounts', { name: 'X' }, ADMIN_TOKEN)).status).toBe(201);
    const closed = await TestApp.start(db, {}, { SWITCHBOARD_ADMIN_TOKEN: '' });
    try {
      expect((await closed.post('/admin/accounts', { name: 'X' }, ADMIN_TOKEN)).status).toBe(404);
    } finally {
      await closed.close();
    }
  });
});
