import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { casesApi, ids, sortedIds, type Listed } from './cases-list-support.js';

const RANK: Record<string, number> = { low: 1, normal: 2, high: 3, urgent: 4 };
const rank = (c: Listed) => (c.priority === null ? 0 : (RANK[c.priority] ?? -1));

/** The order a sort promises: its key, then id, all in the one direction. */
function expectedOrder(cases: Listed[], sort: string, order: 'asc' | 'desc'): string[] {
  const key = (c: Listed): (string | number)[] =>
    sort === 'priority' ? [rank(c), c.created_at, c.id] : sort === 'updated_at' ? [c.updated_at, c.id] : [c.created_at, c.id];
  const compare = (a: Listed, b: Listed) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) {
      const [x, y] = [ka[i] ?? '', kb[i] ?? ''];
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  return ids([...cases].sort((a, b) => (order === 'asc' ? compare(a, b) : compare(b, a))));
}

describe.each(DATABASES)('GET /cases: filters, sorts and paging (%s)', (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  const api = () => casesApi(t, clock);
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  /** Sixteen cases spread over every filtered field; a few changed later so updated_at differs from creation order. */
  async function corpus(acct: TestAccount) {
    const a = api();
    const agents = [await a.agent(acct, 'Ana'), await a.agent(acct, 'Bo')];
    const groups = [await a.group(acct, 'Tier 1'), await a.group(acct, 'Tier 2')];
    await a.status(acct, 'Waiting on vendor', 'pending');
    const statuses = ['new', 'open', 'Waiting on vendor', 'pending', 'resolved'];
    const priorities = [null, 'low', 'normal', 'high', 'urgent'];
    const types = ['question', 'incident', 'problem', 'task'];
    const created: Listed[] = [];
    for (let i = 0; i < 16; i++) {
      const status = statuses[i % statuses.length] ?? 'new';
      created.push(
        await a.create(acct, {
          title: `Case ${i}`,
          status,
          ...(status === 'resolved' ? { resolution: 'Fixed' } : {}),
          priority: priorities[i % priorities.length],
          type: types[i % types.length],
          assignee_id: i % 3 === 2 ? null : agents[i % 3],
          group_id: i % 4 === 3 ? null : groups[i % 2],
          requester_id: `cust-${i % 3}`,
          requester_email: i % 3 === 0 ? (i % 2 === 0 ? 'Ana.Silva@Example.com' : 'ana.silva@example.com') : `other${i}@example.com`,
        }),
      );
    }
    for (const i of [3, 0, 9]) {
      const c = created[i];
      if (c) created[i] = await a.patch(acct, c.id, { title: `${c.title} (changed)` });
    }
    return { cases: created, agents, groups };
  }

  it('lists the account\'s cases newest first as HAL, with total and links; per_page and its alias limit', async () => {
    const acct = await t.newAccount();
    const a = api();
    const made = [await a.create(acct, { title: 'First' }), await a.create(acct, { title: 'Second' }), await a.create(acct, { title: 'Third' })];
    const page = await a.page(acct, '');
    expect(page).toMatchObject({ total: 3, total_exact: true, count: 3, per_page: 50, _links: { self: { href: '/cases' } } });
    expect(page._links.next).toBeUndefined();
    expect(ids(page._embedded.cases)).toEqual(ids(made).reverse());
    expect(page._embedded.cases[0]).toEqual((await t.get(`/cases/${made[2]?.id ?? ''}`, acct.token)).body);

    const first = await a.page(acct, '?per_page=2&type=question');
    expect(first).toMatchObject({ total: 3, count: 2, per_page: 2 });
    const next = first._links.next?.href ?? '';
    expect(next).toMatch(/^\/cases\?per_page=2&type=question&cursor=/);
    const second = await a.page(acct, next.slice('/cases'.length));
    expect(second).toMatchObject({ total: 3, count: 1, per_page: 2 });
    expect(second._links.self.href).toBe(next);
    expect(second._links.next).toBeUndefined();
    expect(ids([...first._embedded.cases, ...second._embedded.cases])).toEqual(ids(made).reverse());
    expect((await a.page(acct, '?limit=1')).per_page).toBe(1);
    expect((await a.page(acct, '?limit=2&per_page=2')).count).toBe(2);
  });

  it('applies each filter alone', async () => {
    const acct = await t.newAccount();
    const a = api();
    const { cases, agents, groups } = await corpus(acct);
    const from = cases[4]?.created_at ?? '';
    const to = cases[11]?.created_at ?? '';
    const updatedFrom = cases[3]?.updated_at ?? '';
    const checks: [string, (c: Listed) => boolean][] = [
      ['status=open', (c) => c.status === 'open'],
      ['status=OPEN', (c) => c.status === 'open'],
      [`status=${encodeURIComponent('waiting ON vendor')}`, (c) => c.status === 'Waiting on vendor'],
      ['status=pending', (c) => c.status === 'pending'],
      ['status_category=pending', (c) => c.status_category === 'pending'],
      ['status_category=resolved', (c) => c.status_category === 'resolved'],
      ['status_category=closed', () => false],
      ['priority=urgent', (c) => c.priority === 'urgent'],
      ['priority=low', (c) => c.priority === 'low'],
      ['type=task', (c) => c.type === 'task'],
      ['type=problem', (c) => c.type === 'problem'],
      [`assignee_id=${agents[0] ?? ''}`, (c) => c.assignee_id === agents[0]],
      [`assignee_id=${agents[1] ?? ''}`, (c) => c.assignee_id === agents[1]],
      [`group_id=${groups[1] ?? ''}`, (c) => c.group_id === groups[1]],
      ['requester_id=cust-1', (c) => c.requester_id === 'cust-1'],
      [`requester_email=${encodeURIComponent('ANA.silva@example.COM')}`, (c) => c.requester_email?.toLowerCase() === 'ana.silva@example.com'],
      [`created_from=${from}`, (c) => c.created_at >= from],
      [`created_to=${to}`, (c) => c.created_at < to],
      [`created_from=${from}&created_to=${to}`, (c) => c.created_at >= from && c.created_at < to],
      [`updated_from=${updatedFrom}`, (c) => c.updated_at >= updatedFrom],
      [`updated_to=${updatedFrom}`, (c) => c.updated_at < updatedFrom],
    ];
    for (const [query, keep] of checks) {
      const expected = sortedIds(cases.filter(keep));
      const { cases: listed, pages } = await a.all(acct, `?${query}&per_page=4`);
      expect(sortedIds(listed), query).toEqual(expected);
      expect(pages[0]?.total, query).toBe(expected.length);
    }
    // Listed cases show their status by name, custom ones too.
    const waiting = (await a.page(acct, '?status=waiting%20on%20VENDOR'))._embedded.cases;
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((c) => c.status === 'Waiting on vendor' && c.status_category === 'pending')).toBe(true);
    // An instant with an offset means that instant.
    const shifted = new Date(Date.parse(from) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect(sortedIds((await a.all(acct, `?created_from=${encodeURIComponent(shifted)}`)).cases)).toEqual(sortedIds(cases.filter((c) => c.created_at >= from)));
  });

  it('combines filters: every one must hold', async () => {
    const acct = await t.newAccount();
    const a = api();
    const { cases, agents, groups } = await corpus(acct);
    const mid = cases[8]?.created_at ?? '';
    const checks: [string, (c: Listed) => boolean][] = [
      [`assignee_id=${agents[0] ?? ''}&status_category=open`, (c) => c.assignee_id === agents[0] && c.status_category === 'open'],
      [`group_id=${groups[0] ?? ''}&type=question&priority=normal`, (c) => c.group_id === groups[0] && c.type === 'question' && c.priority === 'normal'],
      [`requester_id=cust-0&created_from=${mid}`, (c) => c.requester_id === 'cust-0' && c.created_at >= mid],
      [`status=new&assignee_id=${agents[1] ?? ''}&group_id=${groups[1] ?? ''}`, (c) => c.status === 'new' && c.assignee_id === agents[1] && c.group_id === groups[1]],
      ['status=open&status_category=resolved', () => false],
      [`priority=high&sort=priority&order=asc&assignee_id=${agents[0] ?? ''}`, (c) => c.priority === 'high' && c.assignee_id === agents[0]],
    ];
    for (const [query, keep] of checks) {
      const expected = sortedIds(cases.filter(keep));
      const { cases: listed, pages } = await a.all(acct, `?${query}&per_page=2`);
      expect(sortedIds(listed), query).toEqual(expected);
      expect(pages[0]?.total, query).toBe(expected.length);
    }
  });

  it('sorts by created_at, updated_at and priority in both orders; pages follow on without duplicates or gaps, also across ties', async () => {
    const acct = await t.newAccount();
    const a = api();
    const priorities = ['urgent', null, 'normal', 'normal', 'low', 'high', null, 'urgent'];
    const made: Listed[] = [];
    // Groups of three created in the same millisecond: ties on created_at, and on priority.
    for (let i = 0; i < 21; i++) made.push(await a.create(acct, { title: `Tie ${i}`, priority: priorities[i % priorities.length] }, i % 3 === 0 ? 1000 : 0));
    // Changed in pairs at the same instant: ties on updated_at too.
    for (const [i, at] of [[4, 1000], [17, 0], [9, 1000], [2, 0], [11, 0]] as const) {
      const c = made[i];
      if (c) made[i] = await a.patch(acct, c.id, { description: 'touched' }, at);
    }
    for (const sort of ['created_at', 'updated_at', 'priority']) {
      for (const order of ['asc', 'desc'] as const) {
        const expected = expectedOrder(made, sort, order);
        for (const perPage of [1, 4, 50]) {
          const { cases, pages } = await a.all(acct, `?sort=${sort}&order=${order}&per_page=${perPage}`);
          expect(ids(cases), `${sort} ${order} per_page=${perPage}`).toEqual(expected);
          expect(pages.length).toBe(Math.ceil(21 / perPage));
          expect(pages.every((p) => p.total === 21)).toBe(true);
        }
      }
    }
    expect(ids((await a.page(acct, '?sort=created_at'))._embedded.cases)).toEqual(expectedOrder(made, 'created_at', 'desc'));
  });

  it('keeps a page boundary stable while cases are created and changed between pages', async () => {
    const acct = await t.newAccount();
    const a = api();
    const made: Listed[] = [];
    for (let i = 0; i < 6; i++) made.push(await a.create(acct, { title: `Case ${i}` }));
    const first = await a.page(acct, '?per_page=3');
    await a.create(acct, { title: 'Newer than the first page' });
    const second = await a.page(acct, (first._links.next?.href ?? '').slice('/cases'.length));
    expect(ids([...first._embedded.cases, ...second._embedded.cases])).toEqual(ids(made).reverse());
    expect(second.total).toBe(6);
  });

  it('hides trashed cases unless include_deleted=true', async () => {
    const acct = await t.newAccount();
    const a = api();
    const kept = await a.create(acct, { title: 'Kept', priority: 'high' });
    const trashed = await a.create(acct, { title: 'Trashed', priority: 'high' });
    clock.advance(1000);
    expect((await t.delete(`/cases/${trashed.id}`, acct.token)).status).toBe(204);
    expect(ids((await a.page(acct, ''))._embedded.cases)).toEqual([kept.id]);
    expect(ids((await a.page(acct, '?include_deleted=false'))._embedded.cases)).toEqual([kept.id]);
    const all = await a.page(acct, '?include_deleted=true');
    expect(all.total).toBe(2);
    expect(all._embedded.cases.find((c) => c.id === trashed.id)?.deleted_at).toBe(clock.now().toISOString());
    expect(ids((await a.page(acct, '?include_deleted=true&priority=high&sort=updated_at'))._embedded.cases)).toEqual([trashed.id, kept.id]);
    expect(ids((await a.page(acct, '?priority=high&q=trashed'))._embedded.cases)).toEqual([]);
    expect(ids((await a.page(acct, '?include_deleted=true&q=trashed'))._embedded.cases)).toEqual([trashed.id]);
  });

  it("never lists another account's cases, whatever the filters", async () => {
    const mine = await t.newAccount();
    const theirs = await t.newAccount();
    const a = api();
    const myAgent = await a.agent(mine, 'Mine');
    const theirAgent = await a.agent(theirs, 'Theirs');
    const mineCase = await a.create(mine, { title: 'Broken router', assignee_id: myAgent, requester_id: 'shared-customer', requester_email: 'same@example.com' });
    await a.create(theirs, { title: 'Broken router too', assignee_id: theirAgent, requester_id: 'shared-customer', requester_email: 'same@example.com' });
    await a.create(theirs, { title: 'Another router' });
    for (const query of ['', '?q=router', '?q=broken%20router', '?requester_id=shared-customer', '?requester_email=same@example.com', '?include_deleted=true', '?sort=priority']) {
      const page = await a.page(mine, query);
      expect(ids(page._embedded.cases), query).toEqual([mineCase.id]);
      expect(page.total, query).toBe(1);
    }
    expect((await a.page(mine, `?assignee_id=${theirAgent}`)).total).toBe(0);
    expect((await a.page(theirs, '')).total).toBe(2);
    // A cursor names a position in one account's list: another account's is refused.
    const theirFirst = await a.page(theirs, '?per_page=1');
    const stolen = (theirFirst._links.next?.href ?? '').slice('/cases'.length);
    expect(await a.problem(mine, stolen)).toEqual(['cursor']);
  });

  it('answers 401 without a token and 403 without cases-public:read', async () => {
    expect((await t.get('/cases')).status).toBe(401);
    const writer = await t.newAccount(['cases-public:write']);
    const forbidden = await t.get('/cases', writer.token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('insufficient_scope');
    const reader = await t.newAccount(['cases-public:read']);
    expect((await t.get('/cases', reader.token)).status).toBe(200);
  });

  it('rejects every bad parameter with 400 validation_failed naming it', async () => {
    const acct = await t.newAccount();
    const a = api();
    for (let i = 0; i < 3; i++) await a.create(acct, { title: `Case ${i}`, priority: 'normal' });
    const byCreated = (await a.page(acct, '?per_page=1'))._links.next?.href.split('cursor=')[1] ?? '';
    const byPriority = (await a.page(acct, '?per_page=1&sort=priority'))._links.next?.href.split('cursor=')[1] ?? '';
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const checks: [string, string[]][] = [
      ['status=Nonexistent', ['status']],
      ['status=', ['status']],
      ['status_category=closing', ['status_category']],
      ['priority=critical', ['priority']],
      ['priority=', ['priority']],
      ['type=bug', ['type']],
      ['created_from=yesterday', ['created_from']],
      ['created_to=2026-13-01T00:00:00Z', ['created_to']],
      ['updated_from=2026-11-23', ['updated_from']],
      ['updated_to=1700000000', ['updated_to']],
      ['created_from=2026-11-24T00:00:00Z&created_to=2026-11-23T00:00:00Z', ['created_to']],
      ['updated_from=2026-11-24T00:00:00Z&updated_to=2026-11-23T00:00:00Z', ['updated_to']],
      ['sort=title', ['sort']],
      ['order=up', ['order']],
      ['per_page=0', ['per_page']],
      ['per_page=501', ['per_page']],
      ['per_page=ten', ['per_page']],
      ['limit=0', ['limit']],
      ['limit=2&per_page=3', ['limit']],
      ['include_deleted=yes', ['include_deleted']],
      ['q=%20%2A%21%3F', ['q']],
      [`q=${'x'.repeat(501)}`, ['q']],
      ['colour=red', ['colour']],
      ['status=open&status=new', ['status']],
      ['cursor=not-a-cursor', ['cursor']],
      [`cursor=${forged({ sort: 'created_at', order: 'desc', key: ['yesterday'], id: 'x', total: 3 })}`, ['cursor']],
      [`cursor=${forged({ sort: 'priority', order: 'desc', key: ['2026-11-23T00:00:00.000Z'], id: 'x', total: 3 })}`, ['cursor']],
      [`cursor=${byPriority}`, ['cursor']],
      [`sort=priority&cursor=${byCreated}`, ['cursor']],
      [`order=asc&cursor=${byCreated}`, ['cursor']],
      [`sort=updated_at&cursor=${byCreated}`, ['cursor']],
      [`priority=normal&cursor=${byCreated}`, ['cursor']],
      ['status=Nonexistent&priority=critical&per_page=0', ['per_page', 'priority']],
    ];
    for (const [query, fields] of checks) expect(await a.problem(acct, `?${query}`), query).toEqual(fields);
    expect((await a.page(acct, `?sort=priority&per_page=1&cursor=${byPriority}`)).count).toBe(1);
    // The page size is the caller's to change between pages.
    expect((await a.page(acct, `?per_page=5&cursor=${byCreated}`)).count).toBe(2);
    // A blank search box is no search.
    expect((await a.page(acct, '?q=%20')).total).toBe((await a.page(acct, '')).total);
  });
});
