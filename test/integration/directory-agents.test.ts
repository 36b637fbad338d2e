import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type Response, type TestAccount } from '../support/harness.js';

const expectProblem = (response: Response, status: number, code: string) => {
  expect(response.status, response.text).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, code, type: `/problems/${code}` });
};

const fieldNames = (response: Response): string[] => (response.body.fields as { name: string }[]).map((f) => f.name);

describe.each(DATABASES)('directory: agents (%s)', (db) => {
  const clock = new ManualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  const skill = async (acct: TestAccount, name: string): Promise<string> => {
    const created = await t.post('/skills', { name }, acct.token);
    expect(created.status, created.text).toBe(201);
    return created.body.id as string;
  };

  it('creates an agent from a name alone: offline, no skills, no contact details', async () => {
    const acct = await t.newAccount();
    const created = await t.post('/agents', { name: 'Ana' }, acct.token);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ name: 'Ana', email: null, skills: [], status: 'offline', phone: null });
    expect(created.body.status_changed_at).toBe(created.body.created_at);
    expect((await t.get(`/agents/${created.body.id}`, acct.token)).body).toEqual(created.body);
  });

  it('writes and reads skills by name, following renames and deletions', async () => {
    const acct = await t.newAccount();
    await skill(acct, 'Online Requests');
    const billingId = await skill(acct, 'Billing');
    await skill(acct, 'Unused');
    const body = { name: 'Ana Costa', email: 'ana@example.com', skills: ['Online Requests', 'Billing', 'Billing'], status: 'available', phone: '+14155550100' };
    const created = await t.post('/agents', body, acct.token);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ ...body, skills: ['Billing', 'Online Requests'] });
    expect((await t.get(`/agents/${created.body.id}`, acct.token)).body).toEqual(created.body);

    expect((await t.patch(`/skills/${billingId}`, { name: 'Payments' }, acct.token)).status).toBe(200);
    expect((await t.get(`/agents/${created.body.id}`, acct.token)).body.skills).toEqual(['Online Requests', 'Payments']);
    expect((await t.delete(`/skills/${billingId}`, acct.token)).status).toBe(204);
    expect((await t.get(`/agents/${created.body.id}`, acct.token)).body.skills).toEqual(['Online Requests']);
  });

  it('rejects unknown skill names, naming each by its index, including another account’s skill', async () => {
    const acct = await t.newAccount();
    await skill(acct, 'Online Requests');
    const other = await t.newAccount();
    await skill(other, 'Theirs');
    const response = await t.post('/agents', { name: 'Ana', skills: ['Online Requests', 'online requests', 'Theirs'] }, acct.token);
    expectProblem(response, 400, 'validation_failed');
    expect(fieldNames(response)).toEqual(['skills.1', 'skills.2']);
    expect((await t.get('/agents', acct.token)).body.total).toBe(0);

    const agent = (await t.post('/agents', { name: 'Ana', skills: ['Online Requests'] }, acct.token)).body;
    const patched = await t.patch(`/agents/${agent.id}`, { skills: ['Nope'] }, acct.token);
    expectProblem(patched, 400, 'validation_failed');
    expect(fieldNames(patched)).toEqual(['skills.0']);
    expect((await t.get(`/agents/${agent.id}`, acct.token)).body.skills).toEqual(['Online Requests']);
  });

  it('validates names, e-mail, phone, status, types and unknown fields', async () => {
    const acct = await t.newAccount();
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['name']],
      [{ name: '  ' }, ['name']],
      [{ name: 7 }, ['name']],
      [{ name: 'Ana', phone: '4155550100' }, ['phone']],
      [{ name: 'Ana', phone: '+1 415 555 0100' }, ['phone']],
      [{ name: 'Ana', email: 'not-an-email' }, ['email']],
      [{ name: 'Ana', status: 'sleeping' }, ['status']],
      [{ name: 'Ana', skills: 'Online Requests' }, ['skills']],
      [{ name: 'Ana', skills: [1] }, ['skills.0']],
      [{ name: 'Ana', colour: 'red' }, ['colour']],
    ];
    for (const [body, fields] of cases) {
      const response = await t.post('/agents', body, acct.token);
      expectProblem(response, 400, 'validation_failed');
      expect(fieldNames(response), JSON.stringify(body)).toEqual(fields);
    }
    expect((await t.get('/agents', acct.token)).body.total).toBe(0);
  });

  it('updates only the fields sent and deletes', async () => {
    const acct = await t.newAccount();
    await skill(acct, 'Sales');
    await skill(acct, 'Support');
    const agent = (await t.post('/agents', { name: 'Ana', email: 'ana@example.com', phone: '+14155550100', skills: ['Sales'] }, acct.token)).body;
    clock.advance(1000);
    const patched = await t.patch(`/agents/${agent.id}`, { name: 'Ana C.', skills: ['Support', 'Sales'], email: null }, acct.token);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ id: agent.id, name: 'Ana C.', email: null, phone: '+14155550100', skills: ['Sales', 'Support'], status: 'offline' });
    expect(patched.body.updated_at > agent.updated_at).toBe(true);
    expect(patched.body.created_at).toBe(agent.created_at);
    expect((await t.patch(`/agents/${agent.id}`, { skills: [] }, acct.token)).body.skills).toEqual([]);
    expectProblem(await t.patch(`/agents/${agent.id}`, { phone: '555' }, acct.token), 400, 'validation_failed');
    expectProblem(await t.patch('/agents/no-such-agent', { name: 'X' }, acct.token), 404, 'not_found');

    expect((await t.delete(`/agents/${agent.id}`, acct.token)).status).toBe(204);
    expectProblem(await t.get(`/agents/${agent.id}`, acct.token), 404, 'not_found');
    expectProblem(await t.delete(`/agents/${agent.id}`, acct.token), 404, 'not_found');
  });

  it('changes status with PUT /agents/{id}/status, moving status_changed_at only on a real change', async () => {
    const acct = await t.newAccount();
    const agent = (await t.post('/agents', { name: 'Ana' }, acct.token)).body;
    clock.advance(60_000);
    const available = await t.put(`/agents/${agent.id}/status`, { status: 'available' }, acct.token);
    expect(available.status, available.text).toBe(200);
    expect(available.body).toMatchObject({ id: agent.id, name: 'Ana', status: 'available', status_changed_at: clock.now().toISOString() });
    const changedAt = available.body.status_changed_at as string;
    expect(changedAt > agent.status_changed_at).toBe(true);

    clock.advance(60_000);
    const again = await t.put(`/agents/${agent.id}/status`, { status: 'available' }, acct.token);
    expect(again.body.status_changed_at).toBe(changedAt);
    expect(again.body.updated_at).toBe(clock.now().toISOString());

    clock.advance(60_000);
    const busy = await t.patch(`/agents/${agent.id}`, { status: 'busy' }, acct.token);
    expect(busy.body).toMatchObject({ status: 'busy', status_changed_at: clock.now().toISOString() });
    expect((await t.get(`/agents/${agent.id}`, acct.token)).body.status).toBe('busy');

    expectProblem(await t.put(`/agents/${agent.id}/status`, { status: 'sleeping' }, acct.token), 400, 'validation_failed');
    expectProblem(await t.put(`/agents/${agent.id}/status`, { status: 'away', reason: 'lunch' }, acct.token), 400, 'validation_failed');
    expectProblem(await t.put(`/agents/${agent.id}/status`, {}, acct.token), 400, 'validation_failed');
    expectProblem(await t.put('/agents/no-such-agent/status', { status: 'away' }, acct.token), 404, 'not_found');
  });

  it('filters the list by status and exact skill name, keeping filters across pages', async () => {
    const acct = await t.newAccount();
    await skill(acct, 'Online Requests');
    await skill(acct, 'Billing');
    const make = async (name: string, status: string, skills: string[]) => (await t.post('/agents', { name, status, skills }, acct.token)).body.id as string;
    const a = await make('A', 'available', ['Online Requests']);
    const b = await make('B', 'available', ['Online Requests', 'Billing']);
    const c = await make('C', 'busy', ['Online Requests']);
    const d = await make('D', 'available', ['Billing']);
    await make('E', 'offline', []);

    const ids = (response: Response) => (response.body._embedded.agents as { id: string }[]).map((x) => x.id).sort();
    const available = await t.get('/agents?status=available', acct.token);
    expect(available.body.total).toBe(3);
    expect(ids(available)).toEqual([a, b, d].sort());
    const online = await t.get(`/agents?skill=${encodeURIComponent('Online Requests')}`, acct.token);
    expect(online.body.total).toBe(3);
    expect(ids(online)).toEqual([a, b, c].sort());
    expect((await t.get(`/agents?skill=${encodeURIComponent('online requests')}`, acct.token)).body.total).toBe(0);
    expect((await t.get('/agents?skill=Nothing', acct.token)).body).toMatchObject({ total: 0, count: 0 });
    const both = await t.get(`/agents?status=available&skill=${encodeURIComponent('Online Requests')}`, acct.token);
    expect(ids(both)).toEqual([a, b].sort());
    expectProblem(await t.get('/agents?status=sleeping', acct.token), 400, 'validation_failed');

    const first = await t.get('/agents?status=available&per_page=2', acct.token);
    expect(first.body).toMatchObject({ total: 3, count: 2, per_page: 2 });
    const next = first.body._links.next.href as string;
    expect(next).toContain('status=available');
    const second = await t.get(next, acct.token);
    expect(second.body).toMatchObject({ total: 3, count: 1 });
    expect(second.body._links.next).toBeUndefined();
    expect([...ids(first), ...ids(second)].sort()).toEqual([a, b, d].sort());
    const withSkills = [...first.body._embedded.agents, ...second.body._embedded.agents].find((x: { id: string }) => x.id === b);
    expect(withSkills.skills).toEqual(['Billing', 'Online Requests']);
  });

  it('pages the full list by cursor', async () => {
    const acct = await t.newAccount();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await t.post('/agents', { name: `Agent ${i}` }, acct.token)).body.id);
    const seen: string[] = [];
    let next: string | undefined = '/agents?per_page=2';
    let pages = 0;
    while (next) {
      const page: Response = await t.get(next, acct.token);
      expect(page.status, page.text).toBe(200);
      expect(page.body.total).toBe(5);
      seen.push(...page.body._embedded.agents.map((x: { id: string }) => x.id));
      next = page.body._links.next?.href;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].sort());
  });
});
