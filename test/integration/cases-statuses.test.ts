import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, TestApp } from '../support/harness.js';

const BUILT_INS = ['new', 'open', 'pending', 'on_hold', 'resolved', 'closed'];

describe.each(DATABASES)('case statuses (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  it('lists the six built-in statuses first, then custom ones in creation order', async () => {
    const acct = await t.newAccount();
    const list = await t.get('/case-statuses', acct.token);
    expect(list.status).toBe(200);
    expect(list.body._embedded.case_statuses).toEqual(BUILT_INS.map((name) => ({ id: name, name, category: name, active: true, built_in: true })));
    const waiting = await t.post('/case-statuses', { name: 'Waiting on vendor', category: 'pending' }, acct.token);
    expect(waiting.status, waiting.text).toBe(201);
    expect(waiting.headers.location).toBe(`/case-statuses/${waiting.body.id}`);
    expect(waiting.body).toEqual({ id: expect.any(String), name: 'Waiting on vendor', category: 'pending', active: true, built_in: false });
    const fixed = (await t.post('/case-statuses', { name: 'Fixed', category: 'resolved', active: false }, acct.token)).body;
    const all = (await t.get('/case-statuses', acct.token)).body;
    expect(all.total).toBe(8);
    expect(all._embedded.case_statuses.map((s: { name: string }) => s.name)).toEqual([...BUILT_INS, 'Waiting on vendor', 'Fixed']);
    const first = await t.get('/case-statuses?per_page=7', acct.token);
    expect(first.body.count).toBe(7);
    expect((await t.get(first.body._links.next.href, acct.token)).body._embedded.case_statuses).toEqual([{ ...fixed }]);
    // A cursor naming no status of the account is refused, not read as the first page.
    const foreign = Buffer.from(JSON.stringify('no-such-status')).toString('base64url');
    expect((await t.get(`/case-statuses?cursor=${foreign}`, acct.token)).body).toMatchObject({ code: 'validation_failed', fields: [{ name: 'cursor' }] });
    expect((await t.get('/case-statuses/on_hold', acct.token)).body).toMatchObject({ id: 'on_hold', built_in: true });
    expect((await t.get(`/case-statuses/${waiting.body.id}`, acct.token)).body).toEqual(waiting.body);
    expect((await t.get('/case-statuses/nope', acct.token)).status).toBe(404);
  });

  it('keeps names unique per account case-insensitively, built-in names included', async () => {
    const acct = await t.newAccount();
    expect((await t.post('/case-statuses', { name: 'Waiting', category: 'pending' }, acct.token)).status).toBe(201);
    for (const name of ['waiting', ' WAITING ', 'Open', 'resolved']) {
      const response = await t.post('/case-statuses', { name, category: 'open' }, acct.token);
      expect(response.status, name).toBe(409);
      expect(response.body.code).toBe('already_exists');
    }
    const other = (await t.post('/case-statuses', { name: 'Other', category: 'open' }, acct.token)).body;
    expect((await t.patch(`/case-statuses/${other.id}`, { name: 'WAITING' }, acct.token)).status).toBe(409);
    expect((await t.patch(`/case-statuses/${other.id}`, { name: 'pending' }, acct.token)).status).toBe(409);
    expect((await t.post('/case-statuses', { name: 'Waiting', category: 'pending' }, (await t.newAccount()).token)).status).toBe(201);
  });

  it('takes one of the five open-ended categories; closed and unknown ones are 400', async () => {
    const acct = await t.newAccount();
    for (const body of [{ name: 'Done', category: 'closed' }, { name: 'X', category: 'archived' }, { name: '', category: 'open' }, { category: 'open' }, { name: 'X', category: 'open', colour: 'red' }]) {
      const response = await t.post('/case-statuses', body, acct.token);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('validation_failed');
    }
    const created = (await t.post('/case-statuses', { name: 'X', category: 'open' }, acct.token)).body;
    expect((await t.patch(`/case-statuses/${created.id}`, { category: 'pending' }, acct.token)).status).toBe(400);
  });

  it('renames, deactivates and reactivates custom statuses; built-ins answer 409 conflict', async () => {
    const acct = await t.newAccount();
    const created = (await t.post('/case-statuses', { name: 'Waiting', category: 'pending' }, acct.token)).body;
    expect((await t.patch(`/case-statuses/${created.id}`, { name: 'On vendor' }, acct.token)).body).toMatchObject({ name: 'On vendor', active: true });
    expect((await t.patch(`/case-statuses/${created.id}`, { active: false }, acct.token)).body).toMatchObject({ name: 'On vendor', active: false });
    expect((await t.patch(`/case-statuses/${created.id}`, { active: true }, acct.token)).body.active).toBe(true);
    for (const id of BUILT_INS) {
      const response = await t.patch(`/case-statuses/${id}`, { name: 'Mine' }, acct.token);
      expect(response.status, id).toBe(409);
      expect(response.body.code).toBe('conflict');
    }
    expect((await t.patch('/case-statuses/open', { active: false }, acct.token)).status).toBe(409);
    expect((await t.patch('/case-statuses/unknown-id', { active: false }, acct.token)).status).toBe(404);
  });
});
