import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';

/** The system's timers, and a time that moves on by a millisecond each time it is read: no two stamps are equal. */
function tickingClock(): Clock {
  let last = 0;
  return {
    now: () => new Date((last = Math.max(last + 1, Date.now()))),
    setTimer: (ms, fn) => systemClock.setTimer(ms, fn),
  };
}

describe.each(DATABASES)('cases under concurrent requests (%s)', (db) => {
  let t: TestApp;
  let acct: TestAccount;
  beforeAll(async () => {
    t = await TestApp.start(db, { clock: tickingClock() });
    acct = await t.newAccount();
  });
  afterAll(() => t.close());

  const create = (body: Record<string, unknown>) => t.post('/cases', body, acct.token);
  const patch = (id: string, body: Record<string, unknown>) => t.patch(`/cases/${id}`, body, acct.token);

  it('never links an incident to a case that stopped being a problem at the same time', async () => {
    for (let round = 0; round < 10; round += 1) {
      const problem = (await create({ title: `Outage ${round}`, type: 'problem' })).body;
      const [demoted, linked] = await Promise.all([patch(problem.id, { type: 'question' }), create({ title: 'Cannot log in', type: 'incident', problem_id: problem.id })]);
      // One of the two wins; the other is refused naming the rule it would break.
      expect([demoted.status, linked.status].sort()).toEqual(demoted.status === 200 ? [200, 400] : [201, 400]);
      const now = (await t.get(`/cases/${problem.id}`, acct.token)).body;
      if (linked.status === 201) expect(now.type).toBe('problem');
      else expect(linked.body.fields).toEqual([{ name: 'problem_id', description: 'is not a problem case of this account' }]);
    }
  });

  it('dates concurrent changes to one case in the order they apply: the audit trail chains and ends at the case as stored', async () => {
    const created = (await create({ title: 'Shared case' })).body;
    const writes = await Promise.all(Array.from({ length: 20 }, (_, n) => patch(created.id, { custom_fields: { n } })));
    expect(writes.map((w) => w.status)).toEqual(writes.map(() => 200));
    const entries = ((await t.get(`/cases/${created.id}/audit?per_page=500`, acct.token)).body._embedded.audit as { field: string | null; old_value: unknown; new_value: unknown; created_at: string }[])
      .filter((entry) => entry.field === 'custom_fields');
    expect(entries.length).toBeGreaterThan(0);
    entries.slice(1).forEach((entry, i) => expect(entry.old_value).toEqual(entries[i]?.new_value));
    const stored = (await t.get(`/cases/${created.id}`, acct.token)).body;
    const last = entries.at(-1);
    expect(stored.custom_fields).toEqual(last?.new_value);
    expect(stored.updated_at).toBe(last?.created_at);
  });
});
