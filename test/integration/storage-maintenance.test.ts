import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, migrateStorage } from '../../src/adapters/storage/storage.js';
import { createJobQueue, createWorker, scheduleRecurringJobs, STORAGE_MAINTENANCE_EVERY_MS, storageMaintenance } from '../../src/jobs/index.js';
import { iso, ManualClock } from '../../src/kernel/clock.js';
import { newId } from '../../src/kernel/ids.js';
import { createLogger } from '../../src/kernel/logger.js';
import { JOB_PAYLOADS, SYSTEM_ACCOUNT } from '../../src/ports/jobs.js';
import type { Storage } from '../../src/ports/storage.js';
import { databaseUrl, DATABASES } from '../support/harness.js';
import { eventually } from '../support/eventually.js';

describe.each(DATABASES)('storage maintenance (%s)', (db) => {
  let storage: Storage;

  beforeAll(async () => {
    storage = createStorage(databaseUrl(db));
    await migrateStorage(storage);
  });
  afterAll(() => storage.close());

  const maintenanceJobs = () =>
    storage.db.selectFrom('jobs').selectAll().where('account_id', '=', SYSTEM_ACCOUNT).where('type', '=', 'storage.maintain').where('status', '!=', 'failed').execute();

  it('is one job however often nodes schedule it, and runs again five seconds after each run', async () => {
    const clock = new ManualClock();
    const queue = createJobQueue({ storage, clock });
    await scheduleRecurringJobs(queue, storage, clock);
    await scheduleRecurringJobs(queue, storage, clock);
    expect(await maintenanceJobs()).toHaveLength(1);

    // Only this type: on a shared PostgreSQL schema a worker for every type would also claim other tests' jobs.
    const schemas = { 'storage.maintain': JOB_PAYLOADS['storage.maintain'] };
    const worker = createWorker({ storage, clock, logger: createLogger('silent'), schemas, handlers: { 'storage.maintain': storageMaintenance({ storage, clock }) } });
    expect(await worker.drain()).toBe(1);
    const [job] = await maintenanceJobs();
    expect(job).toMatchObject({ status: 'pending', attempts: 0, dedupe_key: 'storage.maintain', run_at: iso(new Date(clock.now().getTime() + STORAGE_MAINTENANCE_EVERY_MS)) });
    expect(await worker.drain()).toBe(0);
    clock.advance(STORAGE_MAINTENANCE_EVERY_MS);
    expect(await worker.drain()).toBe(1);
  });

  it.runIf(db === 'sqlite')('has nothing to do on SQLite, which reuses deleted pages by itself', async () => {
    expect(await storage.maintain()).toEqual([]);
  });

  it.runIf(db === 'postgres')('vacuums and analyzes the jobs table once enough of its rows are dead, autovacuum on or off', async () => {
    const accountId = newId();
    const now = iso(new Date());
    const rows = Array.from({ length: 2000 }, () => ({
      id: newId(), account_id: accountId, type: 'message.send', payload: '{}', dedupe_key: null, status: 'pending' as const, run_at: now,
      attempts: 0, max_attempts: 1, locked_by: null, locked_until: null, last_error: null, created_at: now, updated_at: now,
    }));
    for (let i = 0; i < rows.length; i += 500) await storage.db.insertInto('jobs').values(rows.slice(i, i + 500)).execute();
    const churned = new Date();
    await storage.db.deleteFrom('jobs').where('account_id', '=', accountId).execute();

    // The counters reach the statistics within a second or so; another test's app may get to the table first.
    await eventually(async () => {
      await storage.maintain();
      const { rows: [table] } = await sql<{ vacuumed: string | null; analyzed: string | null }>`
        select last_vacuum as vacuumed, last_analyze as analyzed from pg_stat_user_tables where schemaname = current_schema() and relname = 'jobs'`.execute(storage.db);
      expect(new Date(table?.vacuumed ?? 0).getTime()).toBeGreaterThanOrEqual(churned.getTime());
      expect(new Date(table?.analyzed ?? 0).getTime()).toBeGreaterThanOrEqual(churned.getTime());
    }, 15_000, 250);
  });

  it.runIf(db === 'postgres')('prepares each parameterised statement once per connection, but plans a page for its values every time', async () => {
    const lookup = (executor: typeof storage.db) => executor.selectFrom('jobs').select('id').where('account_id', '=', newId());
    const page = (executor: typeof storage.db) => lookup(executor).orderBy('run_at').limit(10);
    const prepared = await storage.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 2; i++) {
        await lookup(trx).execute();
        await page(trx).execute();
      }
      return (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(trx)).rows.map((p) => p.statement);
    });
    expect(prepared.filter((statement) => statement === lookup(storage.db).compile().sql)).toHaveLength(1);
    expect(prepared).not.toContain(page(storage.db).compile().sql);
  });
});
