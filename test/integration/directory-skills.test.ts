import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, TestApp, type Response } from '../support/harness.js';

const expectProblem = (response: Response, status: number, code: string) => {
  expect(response.status, response.text).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, code, type: `/problems/${code}` });
};

const fieldNames = (response: Response): string[] => (response.body.fields as { name: string }[]).map((f) => f.name);

describe.each(DATABASES)('directory: skills (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  it('creates a skill from a name alone with the documented defaults', async () => {
    const acct = await t.newAccount();
    const created = await t.post('/skills', { name: 'Online Requests' }, acct.token);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Online Requests',
      callback_strategy: 'reserve_agent',
      language: 'en-US',
      max_attempts: 3,
      retry_delay_s: 300,
    });
    expect(typeof created.body.id).toBe('string');
    const english = created.body.announcements['en-US'];
    expect(Object.keys(created.body.announcements)).toEqual(['en-US']);
    expect(english.greeting).toMatch(/callback/i);
    expect(english.prompt).toMatch(/1.*connect.*2.*snooze.*3.*cancel/i);
    const fetched = await t.get(`/skills/${created.body.id}`, acct.token);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
  });

  it('stores every field and canonicalises language tags', async () => {
    const acct = await t.newAccount();
    const body = {
      name: 'Suporte',
      callback_strategy: 'wait_in_queue',
      language: 'pt-br',
      max_attempts: 10,
      retry_delay_s: 86_400,
      announcements: { 'pt-br': { greeting: 'Olá, aqui é a sua chamada de retorno.', prompt: 'Prima 1, 2 ou 3.' }, 'en-US': { greeting: 'Hi', prompt: 'Press 1' } },
    };
    const created = await t.post('/skills', body, acct.token);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ ...body, language: 'pt-BR', announcements: { 'pt-BR': body.announcements['pt-br'], 'en-US': body.announcements['en-US'] } });
    expect((await t.get(`/skills/${created.body.id}`, acct.token)).body).toEqual(created.body);
  });

  it('rejects missing names, unknown fields, wrong types and out-of-range values, naming each field', async () => {
    const acct = await t.newAccount();
    const missing = await t.post('/skills', {}, acct.token);
    expectProblem(missing, 400, 'validation_failed');
    expect(fieldNames(missing)).toEqual(['name']);
    expectProblem(await t.post('/skills', { name: '   ' }, acct.token), 400, 'validation_failed');

    const unknown = await t.post('/skills', { name: 'Sales', colour: 'red' }, acct.token);
    expectProblem(unknown, 400, 'validation_failed');
    expect(unknown.body.fields).toContainEqual({ name: 'colour', description: 'is not a known field' });

    const wrongTypes = await t.post('/skills', { name: 42, max_attempts: '3' }, acct.token);
    expectProblem(wrongTypes, 400, 'validation_failed');
    expect(fieldNames(wrongTypes).sort()).toEqual(['max_attempts', 'name']);

    const cases: [Record<string, unknown>, string][] = [
      [{ max_attempts: 0 }, 'max_attempts'],
      [{ max_attempts: 11 }, 'max_attempts'],
      [{ max_attempts: 2.5 }, 'max_attempts'],
      [{ retry_delay_s: 9 }, 'retry_delay_s'],
      [{ retry_delay_s: 86_401 }, 'retry_delay_s'],
      [{ callback_strategy: 'round_robin' }, 'callback_strategy'],
      [{ language: 'en_US' }, 'language'],
      [{ language: 'x' }, 'language'],
      [{ announcements: { en_US: { greeting: 'Hi', prompt: 'Press 1' } } }, 'announcements.en_US'],
      [{ announcements: { 'en-US': { greeting: 'Hi' } } }, 'announcements.en-US.prompt'],
      [{ announcements: { 'en-US': { greeting: 'Hi', prompt: 'Press 1', tone: 'warm' } } }, 'announcements.en-US.tone'],
      [{ announcements: { 'en-US': { greeting: 'Hi', prompt: 'Press 1' }, 'en-us': { greeting: 'Hi', prompt: 'Press 1' } } }, 'announcements.en-us'],
      [{ announcements: {} }, 'announcements'],
    ];
    for (const [extra, field] of cases) {
      const response = await t.post('/skills', { name: 'Sales', ...extra }, acct.token);
      expectProblem(response, 400, 'validation_failed');
      expect(fieldNames(response), JSON.stringify(extra)).toEqual([field]);
    }
    expect((await t.get('/skills', acct.token)).body.total).toBe(0);
  });

  it('keeps names unique per account and matches them exactly', async () => {
    const acct = await t.newAccount();
    expect((await t.post('/skills', { name: 'Online Requests' }, acct.token)).status).toBe(201);
    const duplicate = await t.post('/skills', { name: 'Online Requests' }, acct.token);
    expectProblem(duplicate, 409, 'already_exists');
    expect(fieldNames(duplicate)).toEqual(['name']);
    // Case and spaces are part of the name.
    const lower = await t.post('/skills', { name: 'online requests' }, acct.token);
    expect(lower.status).toBe(201);
    const spaced = await t.post('/skills', { name: 'Online Requests ' }, acct.token);
    expect(spaced.status).toBe(201);
    expect(spaced.body.name).toBe('Online Requests ');

    const skills = t.services.directory.skills;
    expect((await skills.findByExactName(acct.id, 'Online Requests'))?.name).toBe('Online Requests');
    expect((await skills.findByExactName(acct.id, 'online requests'))?.id).toBe(lower.body.id);
    expect(await skills.findByExactName(acct.id, 'ONLINE REQUESTS')).toBeUndefined();
    expect(await skills.findByExactName(acct.id, ' Online Requests')).toBeUndefined();

    // Another account may use the same name; its skill is not found from the first account.
    const other = await t.newAccount();
    expect((await t.post('/skills', { name: 'Only Theirs' }, other.token)).status).toBe(201);
    expect((await t.post('/skills', { name: 'Online Requests' }, other.token)).status).toBe(201);
    expect(await skills.findByExactName(acct.id, 'Only Theirs')).toBeUndefined();

    const renamed = await t.patch(`/skills/${lower.body.id}`, { name: 'Online Requests' }, acct.token);
    expectProblem(renamed, 409, 'already_exists');
    expect((await t.get(`/skills/${lower.body.id}`, acct.token)).body.name).toBe('online requests');
  });

  it('updates only the fields sent and deletes', async () => {
    const acct = await t.newAccount();
    const created = (await t.post('/skills', { name: 'Billing' }, acct.token)).body;
    const patched = await t.patch(`/skills/${created.id}`, { max_attempts: 5, language: 'fr-fr', announcements: { 'fr-FR': { greeting: 'Bonjour', prompt: 'Appuyez sur 1' } } }, acct.token);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ id: created.id, name: 'Billing', callback_strategy: 'reserve_agent', max_attempts: 5, retry_delay_s: 300, language: 'fr-FR' });
    expect(patched.body.announcements).toEqual({ 'fr-FR': { greeting: 'Bonjour', prompt: 'Appuyez sur 1' } });
    expect(patched.body.created_at).toBe(created.created_at);

    const renamed = await t.patch(`/skills/${created.id}`, { name: 'Billing & Payments' }, acct.token);
    expect(renamed.body).toMatchObject({ name: 'Billing & Payments', max_attempts: 5 });
    // Renaming a skill to its own name is not a conflict.
    expect((await t.patch(`/skills/${created.id}`, { name: 'Billing & Payments' }, acct.token)).status).toBe(200);

    expectProblem(await t.patch(`/skills/${created.id}`, { retry_delay_s: 5 }, acct.token), 400, 'validation_failed');
    expectProblem(await t.patch(`/skills/${created.id}`, { id: 'other' }, acct.token), 400, 'validation_failed');
    expectProblem(await t.patch('/skills/no-such-skill', { max_attempts: 2 }, acct.token), 404, 'not_found');

    const deleted = await t.delete(`/skills/${created.id}`, acct.token);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectProblem(await t.get(`/skills/${created.id}`, acct.token), 404, 'not_found');
    expectProblem(await t.delete(`/skills/${created.id}`, acct.token), 404, 'not_found');
    // The name is free again.
    expect((await t.post('/skills', { name: 'Billing & Payments' }, acct.token)).status).toBe(201);
  });

  it('pages the list by cursor with HAL links', async () => {
    const acct = await t.newAccount();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.post('/skills', { name: `Skill ${i}` }, acct.token)).body.id);
    const first = await t.get('/skills?per_page=2', acct.token);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ total: 5, count: 2, per_page: 2 });
    expect(first.body._links.self.href).toBe('/skills?per_page=2');
    const seen: string[] = first.body._embedded.skills.map((s: { id: string }) => s.id);
    let next: string | undefined = first.body._links.next?.href;
    let pages = 1;
    while (next) {
      const page = await t.get(next, acct.token);
      expect(page.body.total).toBe(5);
      seen.push(...page.body._embedded.skills.map((s: { id: string }) => s.id));
      next = page.body._links.next?.href;
      if (!next) expect(page.body.count).toBe(1);
      pages++;
    }
    expect(pages).toBe(3);
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(new Set(seen).size).toBe(5);

    const all = await t.get('/skills', acct.token);
    expect(all.body).toMatchObject({ total: 5, count: 5, per_page: 50 });
    expect(all.body._links.next).toBeUndefined();
    expectProblem(await t.get('/skills?per_page=0', acct.token), 400, 'validation_failed');
    expectProblem(await t.get('/skills?cursor=garbage', acct.token), 400, 'validation_failed');
    expectProblem(await t.get('/skills?colour=red', acct.token), 400, 'validation_failed');
  });

  it('replays a create with the same Idempotency-Key instead of answering 409', async () => {
    const acct = await t.newAccount();
    const headers = { 'idempotency-key': 'skill-online' };
    const first = await t.post('/skills', { name: 'Online Requests' }, acct.token, headers);
    expect(first.status).toBe(201);
    const repeat = await t.post('/skills', { name: 'Online Requests' }, acct.token, headers);
    expect(repeat.status).toBe(201);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expectProblem(await t.post('/skills', { name: 'Other' }, acct.token, headers), 422, 'idempotency_key_reused');
    expect((await t.get('/skills', acct.token)).body.total).toBe(1);
  });
});
