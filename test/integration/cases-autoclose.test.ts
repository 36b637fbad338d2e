import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, scheduleRecurringJobs } from '../../src/jobs/index.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { ADMIN_TOKEN, DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { IsolatedSchema } from '../support/isolated-schema.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** An account whose token is a service token that never expires: these tests move the clock by days. */
async function longLivedAccount(t: TestApp): Promise<TestAccount> {
  const acct = await t.newAccount();
  const token = await t.post(`/admin/accounts/${acct.id}/service-tokens`, { name: 'tests', scopes: ['cases-public:read', 'cases-public:write'], expires_at: null }, ADMIN_TOKEN);
  expect(token.status, token.text).toBe(201);
  return { ...acct, token: token.body.token };
}

describe.each(DATABASES)('case auto-close and trash purge (%s)', (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  const create = async (acct: TestAccount, body: Record<string, unknown> = { title: 'x' }) => (await t.post('/cases', body, acct.token)).body as { id: string };
  const resolve = async (acct: TestAccount, id: string) => {
    const response = await t.patch(`/cases/${id}`, { status: 'resolved', resolution: 'done' }, acct.token);
    expect(response.status, response.text).toBe(200);
  };
  const read = async (acct: TestAccount, id: string) => (await t.get(`/cases/${id}`, acct.token)).body;
  /** Runs every job due at the clock's time (the app's worker is never started in tests). */
  const drain = () => t.app.worker.drain();
  const jobOf = (acct: TestAccount, id: string) =>
    t.services.storage.db.selectFrom('jobs').select(['run_at', 'status']).where('account_id', '=', acct.id).where('dedupe_key', '=', `case.auto_close:${id}`).executeTakeFirst();

  it('leaves a resolved case in the trash as it is, and closes it once restored when its time has come', async () => {
    const acct = await longLivedAccount(t);
    const { id } = await create(acct);
    await resolve(acct, id);
    expect((await t.delete(`/cases/${id}`, acct.token)).status).toBe(204);
    clock.advance(5 * DAY_MS);
    await drain();
    expect(await read(acct, id)).toMatchObject({ status: 'resolved', closed_at: null });
    expect(await jobOf(acct, id)).toBeUndefined();
    expect((await t.post(`/cases/${id}/restore`, undefined, acct.token)).status).toBe(200);
    await drain();
    expect(await read(acct, id)).toMatchObject({ status: 'closed', deleted_at: null, closed_at: clock.now().toISOString() });
  });

  it('closes a resolved case when the delay has passed, as the system, and then refuses writes (409 case_closed)', async () => {
    const acct = await longLivedAccount(t);
    const { id } = await create(acct);
    await resolve(acct, id);
    clock.advance(4 * DAY_MS - 1000);
    await drain();
    expect((await read(acct, id)).status).toBe('resolved');
    clock.advance(1000);
    await drain();
    const closed = await read(acct, id);
    expect(closed).toMatchObject({ status: 'closed', status_category: 'closed', closed_at: clock.now().toISOString() });
    expect(await jobOf(acct, id)).toBeUndefined();
    const entries = (await t.get(`/cases/${id}/audit`, acct.token)).body._embedded.audit;
    expect(entries.at(-1)).toMatchObject({ actor: 'system', action: 'auto_closed', field: 'status', old_value: 'resolved', new_value: 'closed' });

    for (const response of [
      await t.patch(`/cases/${id}`, { title: 'y' }, acct.token),
      await t.patch(`/cases/${id}`, { status: 'open' }, acct.token),
      await t.post(`/cases/${id}/notes`, { body: 'late' }, acct.token),
    ]) {
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('case_closed');
    }
    // Trash is housekeeping, not a change to the case: a closed case can still be trashed and restored.
    expect((await t.delete(`/cases/${id}`, acct.token)).status).toBe(204);
    expect((await t.post(`/cases/${id}/restore`, undefined, acct.token)).body.status).toBe('closed');
  });

  it('waits longer when the delay is lengthened while the case waits, never closing early', async () => {
    const acct = await longLivedAccount(t);
    const { id } = await create(acct);
    await resolve(acct, id);
    const resolvedAt = clock.now().getTime();
    expect((await t.put('/cases/settings', { auto_close_after_days: 10 }, acct.token)).status).toBe(200);
    clock.advance(4 * DAY_MS);
    await drain();
    expect((await read(acct, id)).status).toBe('resolved');
    expect(await jobOf(acct, id)).toEqual({ run_at: new Date(resolvedAt + 10 * DAY_MS).toISOString(), status: 'pending' });
    clock.advance(6 * DAY_MS - 1000);
    await drain();
    expect((await read(acct, id)).status).toBe('resolved');
    clock.advance(1000);
    await drain();
    expect((await read(acct, id)).status).toBe('closed');
  });

  it('closes at the new, earlier time when the delay is shortened while cases wait', async () => {
    const acct = await longLivedAccount(t);
    const early = await create(acct);
    await resolve(acct, early.id);
    clock.advance(DAY_MS + HOUR_MS);
    const late = await create(acct);
    await resolve(acct, late.id);
    const lateResolvedAt = clock.now().getTime();

    expect((await t.put('/cases/settings', { auto_close_after_days: 1 }, acct.token)).status).toBe(200);
    // The PUT moved both pending closes to now, in its own transaction.
    expect((await jobOf(acct, early.id))?.run_at).toBe(clock.now().toISOString());
    await drain();
    expect((await read(acct, early.id))).toMatchObject({ status: 'closed', closed_at: clock.now().toISOString() });
    expect((await read(acct, late.id)).status).toBe('resolved');
    expect((await jobOf(acct, late.id))?.run_at).toBe(new Date(lateResolvedAt + DAY_MS).toISOString());
    clock.advance(DAY_MS);
    await drain();
    expect((await read(acct, late.id)).status).toBe('closed');
  });

  it('does not close a case that was reopened, and counts the delay from its latest resolution', async () => {
    const acct = await longLivedAccount(t);
    const { id } = await create(acct);
    await resolve(acct, id);
    clock.advance(2 * DAY_MS);
    await t.patch(`/cases/${id}`, { status: 'open' }, acct.token);
    clock.advance(3 * DAY_MS);
    await drain();
    expect((await read(acct, id)).status).toBe('open');
    await resolve(acct, id);
    clock.advance(4 * DAY_MS - 1000);
    await drain();
    expect((await read(acct, id)).status).toBe('resolved');
    clock.advance(1000);
    await drain();
    expect((await read(acct, id)).status).toBe('closed');
  });

  it('skips a case that is no longer resolved when its close comes due', async () => {
    const acct = await longLivedAccount(t);
    const { id } = await create(acct);
    // A close left behind (say, it was running when the case was reopened).
    await createJobQueue({ storage: t.services.storage, clock }).enqueue(t.services.storage.db, {
      type: 'case.auto_close', payload: { case_id: id }, accountId: acct.id, dedupeKey: `case.auto_close:${id}`,
    });
    await drain();
    expect((await read(acct, id)).status).toBe('new');
    expect(await jobOf(acct, id)).toBeUndefined();
  });

  it('purges cases trashed more than 30 days ago, with their notes and audit, through the recurring job', async () => {
    const acct = await longLivedAccount(t);
    const old = await create(acct);
    await t.post(`/cases/${old.id}/notes`, { body: 'n' }, acct.token);
    await t.delete(`/cases/${old.id}`, acct.token);
    clock.advance(2 * DAY_MS);
    const recent = await create(acct);
    await t.delete(`/cases/${recent.id}`, acct.token);
    const kept = await create(acct);
    clock.advance(28 * DAY_MS + 1000);

    await scheduleRecurringJobs(createJobQueue({ storage: t.services.storage, clock }), t.services.storage, clock);
    await drain();
    expect((await t.get(`/cases/${old.id}`, acct.token)).status).toBe(404);
    const orphans = await t.services.storage.db.selectFrom('case_audit').select('id').where('account_id', '=', acct.id).where('case_id', '=', old.id).execute();
    expect(orphans).toEqual([]);
    expect((await read(acct, recent.id)).deleted_at).not.toBeNull();
    expect((await read(acct, kept.id)).deleted_at).toBeNull();
    const purge = await t.services.storage.db.selectFrom('jobs').select(['run_at', 'status']).where('type', '=', 'case.trash_purge').execute();
    expect(purge).toEqual([{ run_at: new Date(clock.now().getTime() + HOUR_MS).toISOString(), status: 'pending' }]);

    clock.advance(2 * DAY_MS);
    await drain();
    expect((await t.get(`/cases/${recent.id}`, acct.token)).status).toBe(404);
  });

  it('unlinks, audited, the incidents of a problem it purges', async () => {
    const acct = await longLivedAccount(t);
    const problem = await create(acct, { title: 'Outage', type: 'problem' });
    const incident = await create(acct, { title: 'No dial tone', type: 'incident', problem_id: problem.id });
    expect((await t.delete(`/cases/${problem.id}`, acct.token)).status).toBe(204);
    clock.advance(31 * DAY_MS);
    await scheduleRecurringJobs(createJobQueue({ storage: t.services.storage, clock }), t.services.storage, clock);
    await drain();
    expect((await t.get(`/cases/${problem.id}`, acct.token)).status).toBe(404);
    expect(await read(acct, incident.id)).toMatchObject({ problem_id: null });
    const entries = (await t.get(`/cases/${incident.id}/audit`, acct.token)).body._embedded.audit;
    expect(entries.at(-1)).toMatchObject({ actor: 'system', field: 'problem_id', old_value: problem.id, new_value: null, detail: 'its problem was purged from the trash' });
  });
});

describe.each(DATABASES)('case auto-close across a restart (%s)', (db) => {
  let url: string;
  beforeAll(async () => {
    url = db === 'postgres' ? (await IsolatedSchema.create()).url : `sqlite:${join(mkdtempSync(join(tmpdir(), 'switchboard-cases-')), 'test.db')}`;
  });

  it('is a durable job: a node started after the resolving one has stopped closes the case', async () => {
    const firstClock = new ManualClock();
    const first = await TestApp.start(db, { clock: firstClock }, { DATABASE_URL: url });
    const acct = await longLivedAccount(first);
    const { id } = (await first.post('/cases', { title: 'x' }, acct.token)).body;
    expect((await first.patch(`/cases/${id}`, { status: 'resolved', resolution: 'done' }, acct.token)).status).toBe(200);
    await first.close();

    const clock = new ManualClock(firstClock.now().getTime() + 4 * DAY_MS);
    const second = await TestApp.start(db, { clock }, { DATABASE_URL: url });
    try {
      await second.app.worker.drain();
      expect((await second.get(`/cases/${id}`, acct.token)).body).toMatchObject({ status: 'closed', closed_at: clock.now().toISOString() });
    } finally {
      await second.close();
    }
  });
});
