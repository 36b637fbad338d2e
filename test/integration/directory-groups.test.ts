import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, TestApp, type Response, type TestAccount } from '../support/harness.js';

const expectProblem = (response: Response, status: number, code: string) => {
  expect(response.status, response.text).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, code, type: `/problems/${code}` });
};

const fieldNames = (response: Response): string[] => (response.body.fields as { name: string }[]).map((f) => f.name);

describe.each(DATABASES)('directory: groups (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  const agent = async (acct: TestAccount, name: string): Promise<string> => {
    const created = await t.post('/agents', { name }, acct.token);
    expect(created.status, created.text).toBe(201);
    return created.body.id as string;
  };

  it('creates, reads, updates and deletes a group of agents', async () => {
    const acct = await t.newAccount();
    const ana = await agent(acct, 'Ana');
    const bo = await agent(acct, 'Bo');
    const cy = await agent(acct, 'Cy');

    const empty = await t.post('/groups', { name: 'Night shift' }, acct.token);
    expect(empty.status, empty.text).toBe(201);
    expect(empty.body).toMatchObject({ name: 'Night shift', agent_ids: [] });

    const created = await t.post('/groups', { name: 'Tier 1', agent_ids: [bo, ana, bo] }, acct.token);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ name: 'Tier 1' });
    expect([...created.body.agent_ids].sort()).toEqual([ana, bo].sort());
    expect((await t.get(`/groups/${created.body.id}`, acct.token)).body).toEqual(created.body);

    const renamed = await t.patch(`/groups/${created.body.id}`, { name: 'Tier One' }, acct.token);
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Tier One', agent_ids: created.body.agent_ids });
    const members = await t.patch(`/groups/${created.body.id}`, { agent_ids: [cy] }, acct.token);
    expect(members.body).toMatchObject({ name: 'Tier One', agent_ids: [cy] });

    // Deleting an agent takes it out of its groups.
    expect((await t.delete(`/agents/${cy}`, acct.token)).status).toBe(204);
    expect((await t.get(`/groups/${created.body.id}`, acct.token)).body.agent_ids).toEqual([]);

    expect((await t.delete(`/groups/${created.body.id}`, acct.token)).status).toBe(204);
    expectProblem(await t.get(`/groups/${created.body.id}`, acct.token), 404, 'not_found');
    expectProblem(await t.delete(`/groups/${created.body.id}`, acct.token), 404, 'not_found');
    expectProblem(await t.patch(`/groups/${created.body.id}`, { name: 'Gone' }, acct.token), 404, 'not_found');
    // The agents are untouched by the group's deletion.
    expect((await t.get(`/agents/${ana}`, acct.token)).status).toBe(200);
  });

  it('rejects agent ids that are not agents of the account, naming each by its index', async () => {
    const acct = await t.newAccount();
    const ana = await agent(acct, 'Ana');
    const other = await t.newAccount();
    const foreign = await agent(other, 'Theirs');

    const response = await t.post('/groups', { name: 'Mixed', agent_ids: [ana, foreign, 'no-such-agent'] }, acct.token);
    expectProblem(response, 400, 'validation_failed');
    expect(fieldNames(response)).toEqual(['agent_ids.1', 'agent_ids.2']);
    expect((await t.get('/groups', acct.token)).body.total).toBe(0);

    const group = (await t.post('/groups', { name: 'Mine', agent_ids: [ana] }, acct.token)).body;
    const patched = await t.patch(`/groups/${group.id}`, { agent_ids: [foreign] }, acct.token);
    expectProblem(patched, 400, 'validation_failed');
    expect(fieldNames(patched)).toEqual(['agent_ids.0']);
    expect((await t.get(`/groups/${group.id}`, acct.token)).body.agent_ids).toEqual([ana]);
  });

  it('validates names, types and unknown fields', async () => {
    const acct = await t.newAccount();
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['name']],
      [{ name: '' }, ['name']],
      [{ name: ['Tier 1'] }, ['name']],
      [{ name: 'Tier 1', agent_ids: 'abc' }, ['agent_ids']],
      [{ name: 'Tier 1', agent_ids: [7] }, ['agent_ids.0']],
      [{ name: 'Tier 1', members: [] }, ['members']],
    ];
    for (const [body, fields] of cases) {
      const response = await t.post('/groups', body, acct.token);
      expectProblem(response, 400, 'validation_failed');
      expect(fieldNames(response), JSON.stringify(body)).toEqual(fields);
    }
    const malformed = await t.request('POST', '/groups', { token: acct.token, raw: '{"name": ', headers: { 'content-type': 'application/json' } });
    expectProblem(malformed, 400, 'malformed_json');
  });

  it('pages the list by cursor', async () => {
    const acct = await t.newAccount();
    const ana = await agent(acct, 'Ana');
    for (let i = 0; i < 3; i++) expect((await t.post('/groups', { name: `Group ${i}`, agent_ids: [ana] }, acct.token)).status).toBe(201);
    const first = await t.get('/groups?per_page=2', acct.token);
    expect(first.body).toMatchObject({ total: 3, count: 2, per_page: 2 });
    expect(first.body._links.self.href).toBe('/groups?per_page=2');
    const second = await t.get(first.body._links.next.href, acct.token);
    expect(second.body).toMatchObject({ total: 3, count: 1, per_page: 2 });
    expect(second.body._links.next).toBeUndefined();
    const groups = [...first.body._embedded.groups, ...second.body._embedded.groups];
    expect(new Set(groups.map((g: { id: string }) => g.id)).size).toBe(3);
    for (const group of groups) expect(group.agent_ids).toEqual([ana]);
    const exact = await t.get('/groups?per_page=3', acct.token);
    expect(exact.body.count).toBe(3);
    expect(exact.body._links.next).toBeUndefined();
  });
});
