import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { newId } from '../../src/kernel/ids.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';

describe.each(DATABASES)('cases over the API (%s)', (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  const create = (acct: TestAccount, body: Record<string, unknown>, headers?: Record<string, string>) => t.post('/cases', body, acct.token, headers);
  const stored = (acct: TestAccount, id: string) =>
    t.services.storage.db.selectFrom('cases').selectAll().where('account_id', '=', acct.id).where('id', '=', id).executeTakeFirstOrThrow();
  const fieldNames = (body: { fields?: { name: string }[] }) => (body.fields ?? []).map((f) => f.name).sort();

  it('creates a case (201, Location) with its defaults, and reads it back', async () => {
    const acct = await t.newAccount();
    const response = await create(acct, { title: 'Printer on fire', description: 'Third floor', requester_email: 'ana@example.com', channel: 'email' });
    expect(response.status, response.text).toBe(201);
    expect(response.headers.location).toBe(`/cases/${response.body.id}`);
    expect(response.body).toEqual({
      id: expect.any(String), title: 'Printer on fire', description: 'Third floor', status: 'new', status_category: 'new', type: 'question',
      priority: null, requester_id: null, requester_name: null, requester_email: 'ana@example.com', requester_phone: null, assignee_id: null,
      group_id: null, problem_id: null, due_at: null, resolution: null, custom_fields: {}, channel: 'email',
      related: { calls: [], interactions: [], messages: [], callbacks: [] }, created_at: clock.now().toISOString(), updated_at: clock.now().toISOString(),
      resolved_at: null, closed_at: null, deleted_at: null,
    });
    const read = await t.get(`/cases/${response.body.id}`, acct.token);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(response.body);
    const row = await stored(acct, response.body.id);
    expect(row).toMatchObject({ search_text: 'Printer on fire\nThird floor', priority_rank: 0, created_by: acct.clientId });
  });

  it('keeps priority_rank in step with priority', async () => {
    const acct = await t.newAccount();
    const { body } = await create(acct, { title: 'x', priority: 'high' });
    expect((await stored(acct, body.id)).priority_rank).toBe(3);
    for (const [priority, rank] of [['urgent', 4], ['low', 1], ['normal', 2], [null, 0]] as const) {
      expect((await t.patch(`/cases/${body.id}`, { priority }, acct.token)).status).toBe(200);
      expect((await stored(acct, body.id)).priority_rank).toBe(rank);
    }
  });

  it('rejects bad fields with 400 validation_failed naming each one', async () => {
    const acct = await t.newAccount();
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['title']],
      [{ title: '   ' }, ['title']],
      [{ title: 'x', type: 'bug' }, ['type']],
      [{ title: 'x', priority: 'critical' }, ['priority']],
      [{ title: 'x', requester_email: 'not-an-email' }, ['requester_email']],
      [{ title: 'x', requester_phone: '4155550100' }, ['requester_phone']],
      [{ title: 'x', colour: 'red' }, ['colour']],
      [{ title: 'x', related: { tickets: [] } }, ['related.tickets']],
      [{ title: 'x', due_date: '2026-02-30', type: 'task' }, ['due_date']],
      [{ title: 'x', due_date: '01/12/2026', type: 'task' }, ['due_date']],
      [{ title: 'x', due_date: '0026-12-01', type: 'task' }, ['due_date']],
    ];
    for (const [body, names] of cases) {
      const response = await create(acct, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('validation_failed');
      expect(fieldNames(response.body), JSON.stringify(body)).toEqual(names);
    }
  });

  it('checks statuses and references, naming every offending field at once', async () => {
    const acct = await t.newAccount();
    const question = (await create(acct, { title: 'not a problem' })).body;
    const response = await create(acct, {
      title: 'x', type: 'question', status: 'Nonexistent', assignee_id: newId(), group_id: newId(), problem_id: question.id, due_date: '2026-12-01',
      related: { calls: [newId()], interactions: [newId()], callbacks: [newId()], messages: ['any-message-id'] },
    });
    expect(response.status).toBe(400);
    expect(fieldNames(response.body)).toEqual(['assignee_id', 'due_date', 'group_id', 'problem_id', 'related.callbacks', 'related.calls', 'related.interactions', 'related.messages', 'status'].sort());
    const incident = await create(acct, { title: 'x', type: 'incident', problem_id: question.id });
    expect(fieldNames(incident.body)).toEqual(['problem_id']);
    const dueAt = await create(acct, { title: 'x', due_at: '2026-12-01T10:00:00Z' });
    expect(fieldNames(dueAt.body)).toEqual(['due_at']);
    expect((await t.get('/cases/' + question.id, acct.token)).status).toBe(200);
  });

  it('links existing calls, interactions, callbacks and messages of the account', async () => {
    const acct = await t.newAccount();
    const db = t.services.storage.db;
    const at = clock.now().toISOString();
    const callId = newId();
    await db.insertInto('calls').values({
      account_id: acct.id, id: callId, direction: 'inbound', from_number: '+14155550100', to_number: '+14155550101', started_at: at, ended_at: null,
      outcome: null, decision: null, continuity: 0, events: '[]', updated_at: at, kind: null, skill: null,
    }).execute();
    const interactionId = newId();
    await db.insertInto('interactions').values({
      account_id: acct.id, id: interactionId, flow_id: newId(), flow_version_id: newId(), flow_execution_id: newId(), status: 'ended', arguments: '{}',
      variables: '{}', current: null, call: null, placing: null, steps: 0, repeats: 0, reason: null, created_at: at, updated_at: at, ended_at: at,
    }).execute();
    expect((await t.post('/skills', { name: 'Support' }, acct.token)).status).toBe(201);
    expect((await t.post('/rest/api/v1/callback', { skill: 'Support', callbackNumber: '+14155550100' }, acct.token)).status).toBe(204);
    const callbackId = (await t.get('/callbacks', acct.token)).body._embedded.callbacks[0].id as string;

    const send = async () => {
      const sent = await t.post('/messages', { body: 'Your order shipped', to: { phoneNumber: '+14155550100' }, rules: ['sms'] }, acct.token);
      expect(sent.status, sent.text).toBe(201);
      return sent.body.messageId as string;
    };
    const [first, second] = [await send(), await send()];

    const related = { calls: [callId], interactions: [interactionId], callbacks: [callbackId], messages: [first] };
    const created = await create(acct, { title: 'x', related });
    expect(created.status, created.text).toBe(201);
    expect(created.body.related).toEqual(related);
    const patched = await t.patch(`/cases/${created.body.id}`, { related: { messages: [first, second] } }, acct.token);
    expect(patched.body.related).toEqual({ ...related, messages: [first, second] });
    const unknown = await t.patch(`/cases/${created.body.id}`, { related: { messages: [first, 'msg-nope'] } }, acct.token);
    expect(fieldNames(unknown.body)).toEqual(['related.messages']);

    const other = await t.newAccount();
    const foreign = await create(other, { title: 'x', related: { calls: [callId], interactions: [interactionId], callbacks: [callbackId], messages: [first] } });
    expect(foreign.status).toBe(400);
    expect(fieldNames(foreign.body)).toEqual(['related.callbacks', 'related.calls', 'related.interactions', 'related.messages']);
  });

  it('merges custom_fields on PATCH (null removes a key) and rejects unknown fields', async () => {
    const acct = await t.newAccount();
    const { body } = await create(acct, { title: 'x', custom_fields: { order: 'A-1', vip: true } });
    expect(body.custom_fields).toEqual({ order: 'A-1', vip: true });
    const patched = await t.patch(`/cases/${body.id}`, { custom_fields: { vip: null, sku: 7 } }, acct.token);
    expect(patched.body.custom_fields).toEqual({ order: 'A-1', sku: 7 });
    const unknown = await t.patch(`/cases/${body.id}`, { status_category: 'open' }, acct.token);
    expect(unknown.status).toBe(400);
    expect(fieldNames(unknown.body)).toEqual(['status_category']);
  });

  it('answers 422 closing_is_automatic when a case is set to closed, on create and PATCH', async () => {
    const acct = await t.newAccount();
    for (const status of ['closed', 'Closed']) {
      const created = await create(acct, { title: 'x', status });
      expect(created.status).toBe(422);
      expect(created.body.code).toBe('closing_is_automatic');
    }
    const { body } = await create(acct, { title: 'x' });
    const patched = await t.patch(`/cases/${body.id}`, { status: 'closed', resolution: 'done' }, acct.token);
    expect(patched.status).toBe(422);
    expect(patched.body.code).toBe('closing_is_automatic');
    expect((await t.get(`/cases/${body.id}`, acct.token)).body.status).toBe('new');
  });

  it('replays a creation with the same Idempotency-Key instead of creating another case', async () => {
    const acct = await t.newAccount();
    const first = await create(acct, { title: 'once' }, { 'idempotency-key': 'k1' });
    const again = await create(acct, { title: 'once' }, { 'idempotency-key': 'k1' });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    const count = await t.services.storage.db.selectFrom('cases').select('id').where('account_id', '=', acct.id).execute();
    expect(count).toHaveLength(1);
    expect((await create(acct, { title: 'other' }, { 'idempotency-key': 'k1' })).status).toBe(422);
  });

  it('requires cases-public:read to read and cases-public:write to write', async () => {
    const acct = await t.newAccount();
    const { body } = await create(acct, { title: 'x' });
    expect((await t.get(`/cases/${body.id}`)).status).toBe(401);
    const readOnly = await t.newAccount(['cases-public:read']);
    const writeOnly = await t.newAccount(['cases-public:write']);
    for (const [method, url, payload] of [['POST', '/cases', { title: 'x' }], ['PATCH', `/cases/${body.id}`, {}], ['DELETE', `/cases/${body.id}`, undefined],
      ['POST', `/cases/${body.id}/notes`, { body: 'n' }], ['POST', `/cases/${body.id}/restore`, undefined], ['PUT', '/cases/settings', { auto_close_after_days: 5 }],
      ['POST', '/case-statuses', { name: 'Waiting', category: 'pending' }], ['PATCH', '/case-statuses/open', { name: 'x' }]] as const) {
      const response = await t.request(method, url, { token: readOnly.token, ...(payload ? { body: payload } : {}) });
      expect(response.status, `${method} ${url}`).toBe(403);
      expect(response.body.code).toBe('insufficient_scope');
    }
    for (const url of [`/cases/${body.id}`, `/cases/${body.id}/notes`, `/cases/${body.id}/audit`, '/cases/settings', '/case-statuses', '/case-statuses/new']) {
      expect((await t.get(url, writeOnly.token)).status, url).toBe(403);
    }
  });

  it("never shows or changes another account's cases, and refuses its agents, groups and problems", async () => {
    const a = await t.newAccount();
    const b = await t.newAccount();
    const agent = (await t.post('/agents', { name: 'Ana' }, a.token)).body;
    const group = (await t.post('/groups', { name: 'Tier 1', agent_ids: [agent.id] }, a.token)).body;
    const problem = (await create(a, { title: 'outage', type: 'problem' })).body;
    const incident = (await create(a, { title: 'x', type: 'incident', problem_id: problem.id, assignee_id: agent.id, group_id: group.id })).body;
    expect(incident.status).toBe('open');
    for (const [method, url, payload] of [['GET', `/cases/${incident.id}`, undefined], ['PATCH', `/cases/${incident.id}`, { title: 'mine' }],
      ['DELETE', `/cases/${incident.id}`, undefined], ['POST', `/cases/${incident.id}/restore`, undefined], ['POST', `/cases/${incident.id}/notes`, { body: 'n' }],
      ['GET', `/cases/${incident.id}/notes`, undefined], ['GET', `/cases/${incident.id}/audit`, undefined]] as const) {
      const response = await t.request(method, url, { token: b.token, ...(payload ? { body: payload } : {}) });
      expect(response.status, `${method} ${url}`).toBe(404);
    }
    const foreign = await create(b, { title: 'x', type: 'incident', problem_id: problem.id, assignee_id: agent.id, group_id: group.id });
    expect(fieldNames(foreign.body)).toEqual(['assignee_id', 'group_id', 'problem_id']);
    const custom = (await t.post('/case-statuses', { name: 'Waiting on vendor', category: 'pending' }, a.token)).body;
    expect((await t.get(`/case-statuses/${custom.id}`, b.token)).status).toBe(404);
    expect((await t.patch(`/case-statuses/${custom.id}`, { name: 'x' }, b.token)).status).toBe(404);
    expect(fieldNames((await create(b, { title: 'x', status: 'Waiting on vendor' })).body)).toEqual(['status']);
    expect((await t.get(`/cases/${incident.id}`, a.token)).body.title).toBe('x');
  });

  it('keeps an agent or a group holding cases not yet closed from being deleted until they are reassigned', async () => {
    const acct = await t.newAccount();
    const agent = (await t.post('/agents', { name: 'Ana' }, acct.token)).body.id as string;
    const group = (await t.post('/groups', { name: 'Tier 2' }, acct.token)).body.id as string;
    const held = (await create(acct, { title: 'x', assignee_id: agent, group_id: group })).body.id as string;
    const trashed = (await create(acct, { title: 'y', assignee_id: agent, group_id: group })).body.id as string;
    expect((await t.delete(`/cases/${trashed}`, acct.token)).status).toBe(204);
    for (const path of [`/agents/${agent}`, `/groups/${group}`]) {
      const refused = await t.delete(path, acct.token);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'conflict', detail: expect.stringContaining('holds 1 case not yet closed') });
    }
    expect((await t.patch(`/cases/${held}`, { assignee_id: null, group_id: null }, acct.token)).status).toBe(200);
    expect((await t.delete(`/agents/${agent}`, acct.token)).status).toBe(204);
    expect((await t.delete(`/groups/${group}`, acct.token)).status).toBe(204);

    // The case in the trash held neither: restored, it points at nobody deleted, and says why.
    const restored = await t.post(`/cases/${trashed}/restore`, undefined, acct.token);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ assignee_id: null, group_id: null, status_category: 'open' });
    const audit = (await t.get(`/cases/${trashed}/audit`, acct.token)).body._embedded.audit as { action: string; field: string; old_value: unknown; detail: unknown }[];
    expect(audit.slice(-3).map((e) => [e.action, e.field, e.old_value])).toEqual([['restored', 'deleted_at', expect.any(String)], ['changed', 'assignee_id', agent], ['changed', 'group_id', group]]);
    expect(audit.at(-1)?.detail).toBe('the group was deleted while the case was in the trash');
  });

  it('adds notes (public by default), lists them oldest first, and keeps search_text in step', async () => {
    const acct = await t.newAccount();
    const { body } = await create(acct, { title: 'Title', description: 'Desc' });
    const first = await t.post(`/cases/${body.id}/notes`, { body: 'first note' }, acct.token);
    expect(first.status, first.text).toBe(201);
    expect(first.body).toEqual({ id: expect.any(String), case_id: body.id, body: 'first note', visibility: 'public', author: acct.clientId, created_at: clock.now().toISOString() });
    expect((await t.post(`/cases/${body.id}/notes`, { body: 'second', visibility: 'internal' }, acct.token)).body.visibility).toBe('internal');
    expect((await t.post(`/cases/${body.id}/notes`, { body: 'x', visibility: 'secret' }, acct.token)).status).toBe(400);
    expect((await t.post(`/cases/${body.id}/notes`, { body: ' ' }, acct.token)).status).toBe(400);
    expect((await stored(acct, body.id)).search_text).toBe('Title\nDesc\nfirst note\nsecond');

    const page = await t.get(`/cases/${body.id}/notes?per_page=1`, acct.token);
    expect(page.body).toMatchObject({ total: 2, count: 1, _embedded: { notes: [{ body: 'first note' }] } });
    const next = await t.get(page.body._links.next.href, acct.token);
    expect(next.body._embedded.notes.map((n: { body: string }) => n.body)).toEqual(['second']);
    expect(next.body._links.next).toBeUndefined();

    await t.patch(`/cases/${body.id}`, { title: 'New title', description: null }, acct.token);
    expect((await stored(acct, body.id)).search_text).toBe('New title\n\nfirst note\nsecond');
    expect((await t.get(`/cases/${newId()}/notes`, acct.token)).status).toBe(404);
  });

  it('audits creation, each changed field, notes, trash and restore: who, what, when, oldest first', async () => {
    const acct = await t.newAccount();
    const { body } = await create(acct, { title: 'Old', priority: 'low' });
    clock.advance(1000);
    await t.patch(`/cases/${body.id}`, { title: 'New', priority: 'high', custom_fields: { a: 1 } }, acct.token);
    await t.patch(`/cases/${body.id}`, { title: 'New' }, acct.token);
    await t.post(`/cases/${body.id}/notes`, { body: 'hello', visibility: 'internal' }, acct.token);
    await t.delete(`/cases/${body.id}`, acct.token);
    await t.post(`/cases/${body.id}/restore`, undefined, acct.token);
    const audit = await t.get(`/cases/${body.id}/audit`, acct.token);
    expect(audit.status).toBe(200);
    const entries = audit.body._embedded.audit as { actor: string; action: string; field: string | null; old_value: unknown; new_value: unknown; created_at: string }[];
    expect(entries.every((e) => e.actor === acct.clientId)).toBe(true);
    expect(entries.map((e) => [e.action, e.field])).toEqual([
      ['created', null], ['changed', 'title'], ['changed', 'priority'], ['changed', 'custom_fields'], ['note_added', null], ['trashed', 'deleted_at'], ['restored', 'deleted_at'],
    ]);
    expect(entries[0]).toMatchObject({ new_value: { title: 'Old', priority: 'low', status: 'new', type: 'question' } });
    expect(entries[1]).toMatchObject({ old_value: 'Old', new_value: 'New', created_at: clock.now().toISOString() });
    expect(entries[3]).toMatchObject({ old_value: {}, new_value: { a: 1 } });
    const paged = await t.get(`/cases/${body.id}/audit?per_page=5`, acct.token);
    expect(paged.body).toMatchObject({ total: 7, count: 5 });
    expect((await t.get(paged.body._links.next.href, acct.token)).body._embedded.audit.map((e: { action: string }) => e.action)).toEqual(['trashed', 'restored']);
  });

  it('moves a case to the trash and back: GET shows deleted_at, writes answer 409 until restored', async () => {
    const acct = await t.newAccount();
    const { body } = await create(acct, { title: 'x' });
    expect((await t.delete(`/cases/${body.id}`, acct.token)).status).toBe(204);
    const trashed = await t.get(`/cases/${body.id}`, acct.token);
    expect(trashed.body.deleted_at).toBe(clock.now().toISOString());
    expect((await t.delete(`/cases/${body.id}`, acct.token)).status).toBe(204);
    for (const response of [await t.patch(`/cases/${body.id}`, { title: 'y' }, acct.token), await t.post(`/cases/${body.id}/notes`, { body: 'n' }, acct.token)]) {
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('conflict');
      expect(response.body.detail).toContain('restore');
    }
    const restored = await t.post(`/cases/${body.id}/restore`, undefined, acct.token);
    expect(restored.status).toBe(200);
    expect(restored.body.deleted_at).toBeNull();
    expect((await t.post(`/cases/${body.id}/restore`, undefined, acct.token)).status).toBe(409);
    expect((await t.patch(`/cases/${body.id}`, { title: 'y' }, acct.token)).body.title).toBe('y');
    expect((await t.delete(`/cases/${newId()}`, acct.token)).status).toBe(404);
  });

  it('reads and changes the settings: auto_close_after_days 4 by default, 1 to 28', async () => {
    const acct = await t.newAccount();
    expect((await t.get('/cases/settings', acct.token)).body).toEqual({ auto_close_after_days: 4 });
    const put = await t.put('/cases/settings', { auto_close_after_days: 7 }, acct.token);
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ auto_close_after_days: 7 });
    expect((await t.get('/cases/settings', acct.token)).body).toEqual({ auto_close_after_days: 7 });
    for (const body of [{ auto_close_after_days: 0 }, { auto_close_after_days: 29 }, { auto_close_after_days: 2.5 }, {}, { auto_close_after_days: 5, other: 1 }]) {
      const response = await t.put('/cases/settings', body, acct.token);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('validation_failed');
    }
    expect((await t.get('/cases/settings', (await t.newAccount()).token)).body).toEqual({ auto_close_after_days: 4 });
  });
});
