import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { newId } from '../../src/kernel/ids.js';
import type { Database } from '../../src/ports/storage.js';
import { DATABASES, TestApp } from '../support/harness.js';
import { casesApi, ids } from './cases-list-support.js';

const MANY = 2400;

/**
 * Lists larger than the count limit (1,000) and full-text queries matching more cases than
 * SQLite's threshold for reading matches from the FTS5 index (2,000), which walk the sort's index
 * instead. The cases are copies of one made through the API, inserted through the storage layer.
 */
describe.each(DATABASES)(`GET /cases over ${MANY} cases (%s)`, (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  const api = () => casesApi(t, clock);
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  it('counts to 1,000, then pages through everything in order; common and rare words alike', async () => {
    const acct = await t.newAccount();
    const a = api();
    const agent = await a.agent(acct, 'Ana');
    const template = await a.create(acct, { title: 'Template' });
    const stored: Database['cases'] & { search_vector?: unknown } = await t.services.storage.db
      .selectFrom('cases').selectAll().where('account_id', '=', acct.id).where('id', '=', template.id).executeTakeFirstOrThrow();
    // PostgreSQL's generated full-text column (migration 0008) is computed, never written.
    const { search_vector: _generated, ...row } = stored;
    const base = Date.parse(template.created_at) - 10 * MANY;
    const rows: Database['cases'][] = [];
    for (let i = 0; i < MANY; i++) {
      // Pairs share a creation time: ties the id breaks.
      const at = base + Math.floor(i / 2) * 3;
      const title = `Widget ${i}${i % 8 === 0 ? ' gizmo' : ''}`;
      rows.push({
        ...row,
        id: newId(at),
        title,
        search_text: `${title}\n`,
        priority: i % 5 === 0 ? 'high' : null,
        priority_rank: i % 5 === 0 ? 3 : 0,
        assignee_id: i % 3 === 0 ? agent : null,
        created_at: new Date(at).toISOString(),
        updated_at: new Date(at).toISOString(),
      });
    }
    for (let start = 0; start < rows.length; start += 500) await t.services.storage.db.insertInto('cases').values(rows.slice(start, start + 500)).execute();
    const newest = (list: typeof rows) => [...list].sort((x, y) => (x.created_at === y.created_at ? (x.id < y.id ? 1 : -1) : x.created_at < y.created_at ? 1 : -1)).map((r) => r.id);

    const first = await a.page(acct, '?per_page=10');
    expect(first).toMatchObject({ total: 1000, total_exact: false, count: 10 });
    const everything = await a.all(acct, '?per_page=500');
    expect(ids(everything.cases)).toEqual([template.id, ...newest(rows)]);
    expect(everything.pages.map((p) => p.total)).toEqual([1000, 1000, 1000, 1000, 1000]);

    const common = await a.all(acct, '?q=widget&per_page=200');
    expect(ids(common.cases)).toEqual(newest(rows));
    expect(common.pages[0]).toMatchObject({ total: 1000, total_exact: false });
    const byPriority = await a.all(acct, '?q=widget&sort=priority&order=asc&per_page=300');
    const ascending = [...rows].sort((x, y) => x.priority_rank - y.priority_rank || (x.created_at === y.created_at ? (x.id < y.id ? -1 : 1) : x.created_at < y.created_at ? -1 : 1));
    expect(ids(byPriority.cases)).toEqual(ascending.map((r) => r.id));

    const assigned = await a.all(acct, `?q=WIDGET&assignee_id=${agent}&per_page=250`);
    expect(ids(assigned.cases)).toEqual(newest(rows.filter((r) => r.assignee_id === agent)));
    expect(assigned.pages[0]).toMatchObject({ total: 800, total_exact: true });

    const rare = await a.all(acct, '?q=gizmo&per_page=100');
    expect(ids(rare.cases)).toEqual(newest(rows.filter((r) => r.title.includes('gizmo'))));
    expect(rare.pages[0]).toMatchObject({ total: 300, total_exact: true });
    const both = await a.all(acct, '?q=gizmo%20widget&sort=updated_at&order=asc&per_page=100');
    expect(ids(both.cases)).toEqual(newest(rows.filter((r) => r.title.includes('gizmo'))).reverse());
    const rareAssigned = await a.page(acct, `?q=gizmo&assignee_id=${agent}&per_page=1`);
    expect(rareAssigned).toMatchObject({ total: 100, total_exact: true, count: 1 });
  });
});
