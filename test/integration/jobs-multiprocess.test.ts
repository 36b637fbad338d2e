import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createStorage, migrateStorage } from '../../src/adapters/storage/storage.js';
import { createJobQueue } from '../../src/jobs/index.js';
import { systemClock } from '../../src/kernel/clock.js';
import { newId, newSecret } from '../../src/kernel/ids.js';
import type { Storage } from '../../src/ports/storage.js';

const postgresUrl = inject('postgresUrl');
const FIXTURE = fileURLToPath(new URL('../fixtures/jobs-worker.ts', import.meta.url));
const JOBS = 1000;

interface WorkerProcess {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

function spawnWorker(url: string, name: string, type: string): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, url, name, type], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.split('\n').includes('ready')) resolve();
    });
    void exited.then((code) => reject(new Error(`worker ${name} exited (${code}) before it was ready: ${stderr}`)));
  });
  return { child, ready, exited };
}

// Several nodes claiming from one queue only exists on PostgreSQL (SQLite has one process).
describe.skipIf(!postgresUrl)('jobs across two worker processes (PostgreSQL only: set TEST_DATABASE_URL)', () => {
  let storage: Storage;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    storage = createStorage(postgresUrl ?? '');
    await migrateStorage(storage);
    await sql`create table if not exists jobs_probe_runs (batch text not null, n integer not null, worker text not null)`.execute(storage.db);
  });

  afterAll(async () => {
    for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await storage.close();
  });

  it('runs each of 1,000 jobs exactly once, shared between both processes', async () => {
    // A type of its own, so no other test's worker (or an app's) claims these jobs.
    const type = `test.multiprocess.${newSecret(6)}`;
    workers.push(spawnWorker(postgresUrl ?? '', 'alpha', type), spawnWorker(postgresUrl ?? '', 'beta', type));
    await Promise.all(workers.map((w) => w.ready));

    const queue = createJobQueue<{ type: string; payload: { n: number } }>({ storage, clock: systemClock });
    const accountId = newId();
    // One transaction: nothing is visible (and no notification is delivered) until all 1,000 commit.
    await storage.db.transaction().execute(async (tx) => {
      for (let n = 0; n < JOBS; n++) await queue.enqueue(tx, { type, payload: { n }, accountId });
    });

    await vi.waitFor(
      async () => {
        const left = await storage.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('count')).where('type', '=', type).executeTakeFirstOrThrow();
        expect(Number(left.count)).toBe(0);
      },
      { timeout: 30_000, interval: 100 },
    );

    const runs = await sql<{ n: number; worker: string }>`select n, worker from jobs_probe_runs where batch = ${type}`.execute(storage.db);
    const timesRun = new Map<number, number>();
    for (const run of runs.rows) timesRun.set(run.n, (timesRun.get(run.n) ?? 0) + 1);
    expect(runs.rows).toHaveLength(JOBS);
    expect(timesRun.size).toBe(JOBS);
    expect([...timesRun.values()].every((times) => times === 1)).toBe(true);

    const byWorker = new Map<string, number>();
    for (const run of runs.rows) byWorker.set(run.worker, (byWorker.get(run.worker) ?? 0) + 1);
    expect(byWorker.get('alpha')).toBeGreaterThan(0);
    expect(byWorker.get('beta')).toBeGreaterThan(0);

    for (const { child } of workers) child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
  }, 60_000);
});
