import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(DATABASES)('case lifecycle (%s)', (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  const create = async (acct: TestAccount, body: Record<string, unknown>) => {
    const response = await t.post('/cases', body, acct.token);
    expect(response.status, response.text).toBe(201);
    return response.body;
  };
  const patch = (acct: TestAccount, id: string, body: Record<string, unknown>) => t.patch(`/cases/${id}`, body, acct.token);
  const agentOf = async (acct: TestAccount) => (await t.post('/agents', { name: 'Ana' }, acct.token)).body.id as string;
  const audit = async (acct: TestAccount, id: string) =>
    (await t.get(`/cases/${id}/audit?per_page=500`, acct.token)).body._embedded.audit as { actor: string; action: string; field: string | null; old_value: unknown; new_value: unknown; detail: string | null }[];
  const autoCloseJobs = (acct: TestAccount) =>
    t.services.storage.db.selectFrom('jobs').select(['dedupe_key', 'run_at', 'status']).where('account_id', '=', acct.id).where('type', '=', 'case.auto_close').orderBy('dedupe_key').execute();

  it('opens a new case when it is assigned, in the same change', async () => {
    const acct = await t.newAccount();
    const agent = await agentOf(acct);
    const created = await create(acct, { title: 'x' });
    const assigned = await patch(acct, created.id, { assignee_id: agent });
    expect(assigned.body).toMatchObject({ status: 'open', status_category: 'open', assignee_id: agent });
    const entries = (await audit(acct, created.id)).filter((e) => e.action === 'changed');
    expect(entries.map((e) => [e.field, e.old_value, e.new_value])).toEqual([['status', 'new', 'open'], ['assignee_id', null, agent]]);
    expect(await create(acct, { title: 'y', assignee_id: agent })).toMatchObject({ status: 'open', assignee_id: agent });
    expect(await create(acct, { title: 'z', assignee_id: agent, status: 'new' })).toMatchObject({ status: 'open' });
    expect(await create(acct, { title: 'w', assignee_id: agent, status: 'pending' })).toMatchObject({ status: 'pending' });
  });

  it('keeps an open case open when it is unassigned', async () => {
    const acct = await t.newAccount();
    const created = await create(acct, { title: 'x', assignee_id: await agentOf(acct) });
    const unassigned = await patch(acct, created.id, { assignee_id: null });
    expect(unassigned.body).toMatchObject({ status: 'open', assignee_id: null });
  });

  it('never returns a case to the new category once it left it', async () => {
    const acct = await t.newAccount();
    const triage = (await t.post('/case-statuses', { name: 'Triage', category: 'new' }, acct.token)).body;
    const fresh = await create(acct, { title: 'x' });
    expect((await patch(acct, fresh.id, { status: 'Triage' })).body).toMatchObject({ status: 'Triage', status_category: 'new' });
    expect((await patch(acct, fresh.id, { status: 'pending' })).body.status).toBe('pending');
    for (const status of ['new', 'triage']) {
      const back = await patch(acct, fresh.id, { status });
      expect(back.status).toBe(400);
      expect(back.body.fields).toEqual([{ name: 'status', description: expect.stringContaining('new') }]);
    }
    expect(triage.category).toBe('new');
    const started = await create(acct, { title: 'y', status: 'on_hold' });
    expect((await patch(acct, started.id, { status: 'new' })).status).toBe(400);
  });

  it('requires a resolution to resolve, stamps resolved_at, and clears it when reopened', async () => {
    const acct = await t.newAccount();
    const created = await create(acct, { title: 'x' });
    const missing = await patch(acct, created.id, { status: 'resolved' });
    expect(missing.status).toBe(400);
    expect(missing.body.fields).toEqual([{ name: 'resolution', description: expect.any(String) }]);
    const unresolvable = await t.post('/cases', { title: 'z', status: 'resolved' }, acct.token);
    expect(unresolvable.body.fields).toEqual([{ name: 'resolution', description: expect.any(String) }]);
    const blank = await t.post('/cases', { title: 'z', status: 'resolved', resolution: '   ' }, acct.token);
    expect(blank.body.fields).toEqual([{ name: 'resolution', description: expect.any(String) }]);

    const resolved = await patch(acct, created.id, { status: 'RESOLVED', resolution: 'Rebooted' });
    expect(resolved.body).toMatchObject({ status: 'resolved', status_category: 'resolved', resolution: 'Rebooted', resolved_at: clock.now().toISOString() });
    expect((await patch(acct, created.id, { resolution: null })).status).toBe(400);
    expect((await patch(acct, created.id, { resolution: ' ' })).status).toBe(400);

    clock.advance(60_000);
    const reopened = await patch(acct, created.id, { status: 'pending' });
    expect(reopened.body).toMatchObject({ status: 'pending', resolved_at: null });
    // The resolution is already on the case: resolving again needs no new one.
    const again = await patch(acct, created.id, { status: 'resolved' });
    expect(again.body).toMatchObject({ status: 'resolved', resolved_at: clock.now().toISOString() });
    const resolvedAtCreation = await create(acct, { title: 'y', status: 'resolved', resolution: 'Known issue' });
    expect(resolvedAtCreation.resolved_at).toBe(clock.now().toISOString());
  });

  it('resolving a problem resolves its open incidents with its resolution, each audited naming the problem', async () => {
    const acct = await t.newAccount();
    const problem = await create(acct, { title: 'Outage', type: 'problem' });
    const other = await create(acct, { title: 'Other outage', type: 'problem' });
    const open = await create(acct, { title: 'a', type: 'incident', problem_id: problem.id });
    const pending = await create(acct, { title: 'b', type: 'incident', problem_id: problem.id, status: 'pending' });
    const done = await create(acct, { title: 'c', type: 'incident', problem_id: problem.id, status: 'resolved', resolution: 'Own fix' });
    const elsewhere = await create(acct, { title: 'd', type: 'incident', problem_id: other.id });
    const trashed = await create(acct, { title: 'e', type: 'incident', problem_id: problem.id });
    expect((await t.delete(`/cases/${trashed.id}`, acct.token)).status).toBe(204);
    const incidents = async (query: string) => ((await t.get(`/cases?problem_id=${problem.id}${query}`, acct.token)).body._embedded.cases as { id: string }[]).map((c) => c.id).sort();
    expect(await incidents('')).toEqual([open.id, pending.id, done.id].sort());
    expect(await incidents('&include_deleted=true')).toEqual([open.id, pending.id, done.id, trashed.id].sort());
    clock.advance(1000);

    const resolved = await patch(acct, problem.id, { status: 'resolved', resolution: 'Replaced the router' });
    expect(resolved.status, resolved.text).toBe(200);
    const at = clock.now().toISOString();
    for (const incident of [open, pending]) {
      const read = (await t.get(`/cases/${incident.id}`, acct.token)).body;
      expect(read).toMatchObject({ status: 'resolved', status_category: 'resolved', resolution: 'Replaced the router', resolved_at: at });
      const entries = (await audit(acct, incident.id)).filter((e) => e.action === 'resolved_by_problem');
      expect(entries.map((e) => e.field)).toEqual(['status', 'resolution']);
      expect(entries.every((e) => e.detail?.includes(problem.id) && e.actor === acct.clientId)).toBe(true);
    }
    expect((await t.get(`/cases/${done.id}`, acct.token)).body).toMatchObject({ resolution: 'Own fix' });
    expect((await t.get(`/cases/${elsewhere.id}`, acct.token)).body.status).toBe('new');
    expect((await t.get(`/cases/${trashed.id}`, acct.token)).body.status).toBe('new');
    const keys = (await autoCloseJobs(acct)).map((j) => j.dedupe_key);
    for (const id of [problem.id, open.id, pending.id, done.id]) expect(keys).toContain(`case.auto_close:${id}`);

    // A resolved problem takes no new incident (it could no longer resolve it) until it is reopened.
    const late = await t.post('/cases', { title: 'f', type: 'incident', problem_id: problem.id }, acct.token);
    expect(late.status).toBe(400);
    expect(late.body.fields).toEqual([{ name: 'problem_id', description: 'is a resolved problem: link an open one, or reopen it first' }]);
    expect((await patch(acct, problem.id, { status: 'open' })).status).toBe(200);
    expect(await create(acct, { title: 'f', type: 'incident', problem_id: problem.id })).toMatchObject({ problem_id: problem.id });
  });

  it('resolves incidents into the custom resolved status the problem moved to', async () => {
    const acct = await t.newAccount();
    await t.post('/case-statuses', { name: 'Fixed', category: 'resolved' }, acct.token);
    const problem = await create(acct, { title: 'Outage', type: 'problem' });
    const incident = await create(acct, { title: 'a', type: 'incident', problem_id: problem.id });
    await patch(acct, problem.id, { status: 'fixed', resolution: 'Patched' });
    expect((await t.get(`/cases/${incident.id}`, acct.token)).body).toMatchObject({ status: 'Fixed', status_category: 'resolved' });
  });

  it('links problems to incidents only, and keeps a problem with incidents a problem', async () => {
    const acct = await t.newAccount();
    const problem = await create(acct, { title: 'Outage', type: 'problem' });
    const question = await create(acct, { title: 'q' });
    const linked = await patch(acct, question.id, { problem_id: problem.id });
    expect(linked.body.fields).toEqual([{ name: 'problem_id', description: expect.any(String) }]);
    const incident = (await patch(acct, question.id, { type: 'incident', problem_id: problem.id })).body;
    expect(incident).toMatchObject({ type: 'incident', problem_id: problem.id });
    expect((await patch(acct, question.id, { type: 'question' })).body.fields).toEqual([{ name: 'problem_id', description: expect.any(String) }]);
    expect((await patch(acct, question.id, { problem_id: question.id })).status).toBe(400);
    expect((await patch(acct, problem.id, { type: 'question' })).body.fields).toEqual([{ name: 'type', description: expect.any(String) }]);
    expect((await patch(acct, question.id, { type: 'question', problem_id: null })).body).toMatchObject({ type: 'question', problem_id: null });
    expect((await patch(acct, problem.id, { type: 'question' })).status).toBe(200);
  });

  it("stores a task's due_date as 12:00 that day in the account's time zone, DST included", async () => {
    const lisbon = await t.newAccount(undefined, { timezone: 'Europe/Lisbon' });
    const newYork = await t.newAccount(undefined, { timezone: 'America/New_York' });
    const expectations: [TestAccount, string, string][] = [
      [lisbon, '2026-12-01', '2026-12-01T12:00:00.000Z'],
      [lisbon, '2026-07-01', '2026-07-01T11:00:00.000Z'],
      [lisbon, '2026-03-29', '2026-03-29T11:00:00.000Z'],
      [newYork, '2026-03-08', '2026-03-08T16:00:00.000Z'],
      [newYork, '2026-11-01', '2026-11-01T17:00:00.000Z'],
    ];
    for (const [acct, dueDate, dueAt] of expectations) {
      expect((await create(acct, { title: 'task', type: 'task', due_date: dueDate })).due_at, dueDate).toBe(dueAt);
    }
    const task = await create(lisbon, { title: 'task', type: 'task' });
    expect((await patch(lisbon, task.id, { due_date: '2026-12-01' })).body.due_at).toBe('2026-12-01T12:00:00.000Z');
    expect((await patch(lisbon, task.id, { due_at: '2026-12-02T09:30:00+01:00' })).body.due_at).toBe('2026-12-02T08:30:00.000Z');
    expect((await patch(lisbon, task.id, { due_date: '2026-12-01', due_at: '2026-12-02T09:30:00Z' })).status).toBe(400);
    expect((await patch(lisbon, task.id, { type: 'question' })).body.fields).toEqual([{ name: 'due_at', description: expect.any(String) }]);
    expect((await patch(lisbon, task.id, { due_date: null })).body.due_at).toBeNull();
    const question = await create(lisbon, { title: 'q' });
    expect((await patch(lisbon, question.id, { due_date: '2026-12-01' })).body.fields).toEqual([{ name: 'due_date', description: expect.any(String) }]);
  });

  it('refuses deactivated statuses for new changes while a case already in one keeps it', async () => {
    const acct = await t.newAccount();
    const waiting = (await t.post('/case-statuses', { name: 'Waiting on vendor', category: 'pending' }, acct.token)).body;
    const inIt = await create(acct, { title: 'x', status: 'waiting on vendor' });
    expect(inIt).toMatchObject({ status: 'Waiting on vendor', status_category: 'pending' });
    expect((await t.patch(`/case-statuses/${waiting.id}`, { active: false }, acct.token)).body.active).toBe(false);

    const other = await create(acct, { title: 'y' });
    const refused = await patch(acct, other.id, { status: 'Waiting on vendor' });
    expect(refused.status).toBe(400);
    expect(refused.body.fields).toEqual([{ name: 'status', description: expect.stringContaining('deactivated') }]);
    expect((await t.post('/cases', { title: 'z', status: 'Waiting on vendor' }, acct.token)).status).toBe(400);
    const kept = await patch(acct, inIt.id, { title: 'still waiting', status: 'Waiting on vendor' });
    expect(kept.body).toMatchObject({ title: 'still waiting', status: 'Waiting on vendor' });

    await t.patch(`/case-statuses/${waiting.id}`, { active: true, name: 'Vendor' }, acct.token);
    expect((await patch(acct, other.id, { status: 'vendor' })).body.status).toBe('Vendor');
    expect((await t.get(`/cases/${inIt.id}`, acct.token)).body.status).toBe('Vendor');
  });

  it('schedules the auto-close in the transaction that resolves, and drops it when the case is reopened', async () => {
    const acct = await t.newAccount();
    const created = await create(acct, { title: 'x' });
    expect(await autoCloseJobs(acct)).toEqual([]);
    await patch(acct, created.id, { status: 'resolved', resolution: 'ok' });
    expect(await autoCloseJobs(acct)).toEqual([
      { dedupe_key: `case.auto_close:${created.id}`, run_at: new Date(clock.now().getTime() + 4 * DAY_MS).toISOString(), status: 'pending' },
    ]);
    await patch(acct, created.id, { status: 'open' });
    expect(await autoCloseJobs(acct)).toEqual([]);
  });
});
