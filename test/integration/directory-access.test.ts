import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { DATABASES, TestApp, type Response, type TestAccount } from '../support/harness.js';

const expectProblem = (response: Response, status: number, code: string) => {
  expect(response.status, response.text).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, code, type: `/problems/${code}` });
};

describe.each(DATABASES)('directory: scopes and tenancy (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  /** One skill, one agent holding it and one group holding the agent. */
  const seed = async (acct: TestAccount) => {
    const skill = (await t.post('/skills', { name: 'Online Requests' }, acct.token)).body;
    const agent = (await t.post('/agents', { name: 'Ana', skills: ['Online Requests'] }, acct.token)).body;
    const group = (await t.post('/groups', { name: 'Tier 1', agent_ids: [agent.id] }, acct.token)).body;
    return { skill, agent, group };
  };

  it('needs directory:write to change anything and directory:read to look', async () => {
    const owner = await t.newAccount();
    const { skill, agent, group } = await seed(owner);
    const reader: TestAccount = await t.newAccount(['directory:read']);
    const writes: [string, string, unknown][] = [
      ['POST', '/skills', { name: 'Sales' }],
      ['PATCH', `/skills/${skill.id}`, { name: 'Sales' }],
      ['DELETE', `/skills/${skill.id}`, undefined],
      ['POST', '/agents', { name: 'Bo' }],
      ['PATCH', `/agents/${agent.id}`, { name: 'Bo' }],
      ['PUT', `/agents/${agent.id}/status`, { status: 'available' }],
      ['DELETE', `/agents/${agent.id}`, undefined],
      ['POST', '/groups', { name: 'Tier 2' }],
      ['PATCH', `/groups/${group.id}`, { name: 'Tier 2' }],
      ['DELETE', `/groups/${group.id}`, undefined],
    ];
    for (const [method, url, body] of writes) {
      const response = await t.request(method, url, { token: reader.token, body });
      expectProblem(response, 403, 'insufficient_scope');
      expect(response.headers['www-authenticate']).toContain('directory:write');
      expect((await t.request(method, url, { body })).status).toBe(401);
    }
    for (const url of ['/skills', '/agents', '/groups']) {
      expect((await t.get(url, reader.token)).status).toBe(200);
    }
    const writerOnly = await t.newAccount(['directory:write']);
    for (const url of ['/skills', '/agents', '/groups', `/skills/${skill.id}`, `/agents/${agent.id}`, `/groups/${group.id}`]) {
      expectProblem(await t.get(url, writerOnly.token), 403, 'insufficient_scope');
    }
    expect((await t.post('/skills', { name: 'Sales' }, writerOnly.token)).status).toBe(201);
  });

  it("answers 404 for another account's skills, agents and groups and never lists them", async () => {
    const a = await t.newAccount();
    const b = await t.newAccount();
    const { skill, agent, group } = await seed(a);

    for (const url of [`/skills/${skill.id}`, `/agents/${agent.id}`, `/groups/${group.id}`]) {
      expectProblem(await t.get(url, b.token), 404, 'not_found');
      expectProblem(await t.patch(url, { name: 'Hijacked' }, b.token), 404, 'not_found');
      expectProblem(await t.delete(url, b.token), 404, 'not_found');
    }
    expectProblem(await t.put(`/agents/${agent.id}/status`, { status: 'busy' }, b.token), 404, 'not_found');
    for (const [url, plural] of [['/skills', 'skills'], ['/agents', 'agents'], ['/groups', 'groups']] as const) {
      const list = await t.get(url, b.token);
      expect(list.body).toMatchObject({ total: 0, count: 0 });
      expect(list.body._embedded[plural]).toEqual([]);
    }
    expect((await t.get(`/agents?skill=${encodeURIComponent('Online Requests')}`, b.token)).body.total).toBe(0);

    // Account A's resources are exactly as they were.
    expect((await t.get(`/skills/${skill.id}`, a.token)).body).toEqual(skill);
    expect((await t.get(`/agents/${agent.id}`, a.token)).body).toEqual(agent);
    expect((await t.get(`/groups/${group.id}`, a.token)).body).toEqual(group);
    expect(agent).toMatchObject({ skills: ['Online Requests'], status: 'offline' });
    expect(group.agent_ids).toEqual([agent.id]);
  });

  it('documents every directory route in a valid OpenAPI document', async () => {
    const spec = await t.get('/openapi.json');
    const result = await new Validator().validate(spec.body);
    expect(result.errors ?? []).toEqual([]);
    const paths = spec.body.paths as Record<string, Record<string, unknown>>;
    const expected: Record<string, string[]> = {
      '/skills': ['get', 'post'],
      '/skills/{id}': ['get', 'patch', 'delete'],
      '/agents': ['get', 'post'],
      '/agents/{id}': ['get', 'patch', 'delete'],
      '/agents/{id}/status': ['put'],
      '/groups': ['get', 'post'],
      '/groups/{id}': ['get', 'patch', 'delete'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect(Object.keys(paths[path] ?? {}), path).toEqual(expect.arrayContaining(methods));
    }
  });
});
