import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, migrateStorage } from '../../src/adapters/storage/storage.js';
import {
  createJobQueue,
  createWorker,
  IDEMPOTENCY_PURGE_EVERY_MS,
  IDEMPOTENCY_RETENTION_MS,
  idempotencyPurge,
  scheduleRecurringJobs,
} from '../../src/jobs/index.js';
import { iso, ManualClock } from '../../src/kernel/clock.js';
import { newId } from '../../src/kernel/ids.js';
import { createLogger } from '../../src/kernel/logger.js';
import { JOB_PAYLOADS, SYSTEM_ACCOUNT } from '../../src/ports/jobs.js';
import type { Storage } from '../../src/ports/storage.js';
import { databaseUrl, DATABASES, TestApp } from '../support/harness.js';
import { jobContext } from '../support/job-context.js';

describe.each(DATABASES)('idempotency purge job (%s)', (db) => {
  let url: string;
  let storage: Storage;

  beforeAll(async () => {
    url = databaseUrl(db);
    storage = createStorage(url);
    await migrateStorage(storage);
  });
  afterAll(() => storage.close());

  const purgeJobs = () =>
    storage.db.selectFrom('jobs').selectAll().where('account_id', '=', SYSTEM_ACCOUNT).where('type', '=', 'idempotency.purge').where('status', '!=', 'failed').execute();

  it('deletes only keys older than the retention, and asks to run again an hour later', async () => {
    const accountId = newId();
    const clock = new ManualClock();
    const at = (ageMs: number) => iso(new Date(clock.now().getTime() - ageMs));
    const key = (name: string, ageMs: number) => ({
      account_id: accountId, key: name, route: 'POST /numbers', request_hash: 'h', status_code: 201, response_body: '{}', created_at: at(ageMs),
    });
    await storage.db
      .insertInto('idempotency_keys')
      .values([key('expired', IDEMPOTENCY_RETENTION_MS + 1000), key('kept', IDEMPOTENCY_RETENTION_MS - 1000), key('fresh', 0)])
      .execute();

    const outcome = await idempotencyPurge({ storage, clock })({}, jobContext(SYSTEM_ACCOUNT));

    const left = await storage.db.selectFrom('idempotency_keys').select('key').where('account_id', '=', accountId).orderBy('key').execute();
    expect(left.map((k) => k.key)).toEqual(['fresh', 'kept']);
    expect(outcome).toEqual({ kind: 'repeat', at: new Date(clock.now().getTime() + IDEMPOTENCY_PURGE_EVERY_MS) });
  });

  it('is scheduled once however often nodes schedule it, and reschedules itself hourly when it runs', async () => {
    const clock = new ManualClock();
    const queue = createJobQueue({ storage, clock });
    await scheduleRecurringJobs(queue, storage, clock);
    await scheduleRecurringJobs(queue, storage, clock);
    expect(await purgeJobs()).toHaveLength(1);

    // Only the purge: on a shared PostgreSQL schema a worker for every type would also claim other tests' callback jobs.
    const schemas = { 'idempotency.purge': JOB_PAYLOADS['idempotency.purge'] };
    const worker = createWorker({ storage, clock, logger: createLogger('silent'), schemas, handlers: { 'idempotency.purge': idempotencyPurge({ storage, clock }) } });
    expect(await worker.drain()).toBe(1);
    const [job] = await purgeJobs();
    expect(job).toMatchObject({ status: 'pending', attempts: 0, dedupe_key: 'idempotency.purge', run_at: iso(new Date(clock.now().getTime() + IDEMPOTENCY_PURGE_EVERY_MS)) });

    expect(await worker.drain()).toBe(0);
    clock.advance(IDEMPOTENCY_PURGE_EVERY_MS);
    expect(await worker.drain()).toBe(1);
    expect(await purgeJobs()).toHaveLength(1);
  });

  it('is scheduled by an app that runs the worker, which exposes job metrics', async () => {
    const t = await TestApp.start(db, { storage: createStorage(url) }, { SWITCHBOARD_WORKER: 'true' });
    try {
      expect(await purgeJobs()).toHaveLength(1);
      const metrics = await t.get('/metrics');
      expect(metrics.status).toBe(200);
      for (const name of ['switchboard_jobs_running', 'switchboard_jobs_claimed_total', 'switchboard_jobs_failed_total', 'switchboard_jobs_retried_total']) {
        expect(metrics.text).toContain(name);
      }
    } finally {
      await t.close();
    }
  });

  it('shows the shared job table in /metrics: jobs by type and status, and how long the oldest due one has waited', async () => {
    const clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));
    const t = await TestApp.start(db, { clock });
    try {
      const acct = await t.newAccount();
      // No worker runs here: the send waits in the table.
      expect((await t.post('/messages', { body: 'Your order shipped', to: { phoneNumber: '+14155550100' }, rules: ['sms'] }, acct.token)).status).toBe(201);
      clock.advance(30_000);
      const text = (await t.get('/metrics')).text;
      expect(text).toContain('switchboard_jobs_in_table{type="message.send",status="pending"} 1');
      expect(text).toContain('switchboard_jobs_overdue_seconds{type="message.send"} 30');
    } finally {
      await t.close();
    }
  });
});
