import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createStorage, migrateStorage } from '../../src/adapters/storage/storage.js';
import { createJobQueue, createWorker, done, type JobHandler, type WorkerOptions } from '../../src/jobs/index.js';
import { claimJobs, claimOf, completeJob, failJob, renewLeases, retryJob } from '../../src/jobs/jobs.repo.js';
import { iso, ManualClock, systemClock, type Clock } from '../../src/kernel/clock.js';
import { newId, newSecret } from '../../src/kernel/ids.js';
import { createLogger } from '../../src/kernel/logger.js';
import type { PayloadSchemas } from '../../src/ports/jobs.js';
import type { Storage } from '../../src/ports/storage.js';
import { databaseUrl, DATABASES } from '../support/harness.js';

const probeSchema = z.object({ n: z.number().int(), label: z.string().default('none') });
type Probe = z.output<typeof probeSchema>;

/** A job type of the test's own, so no other test's worker ever claims its jobs (PostgreSQL shares one schema per run). */
function probeType(): { type: string; schemas: PayloadSchemas } {
  const type = `test.${newSecret(6)}`;
  return { type, schemas: { [type]: probeSchema } };
}

describe.each(DATABASES)('jobs (%s)', (db) => {
  let storage: Storage;

  beforeAll(async () => {
    storage = createStorage(databaseUrl(db));
    await migrateStorage(storage);
  });
  afterAll(() => storage.close());

  const queueFor = (clock: Clock) => createJobQueue<{ type: string; payload: { n: number; label?: string } }>({ storage, clock });

  function workerFor(type: string, schemas: PayloadSchemas, handler: JobHandler<Probe>, clock: Clock, options: Partial<WorkerOptions<PayloadSchemas>> = {}) {
    return createWorker({ storage, clock, logger: createLogger('silent'), schemas, handlers: { [type]: handler as JobHandler<unknown> }, ...options });
  }

  const rowsOf = (accountId: string) => storage.db.selectFrom('jobs').selectAll().where('account_id', '=', accountId).execute();
  const rowOf = (id: string) => storage.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();

  it('enqueues nothing when the enqueuing transaction rolls back', async () => {
    const { type } = probeType();
    const accountId = newId();
    const queue = queueFor(systemClock);
    await expect(
      storage.db.transaction().execute(async (tx) => {
        await queue.enqueue(tx, { type, payload: { n: 1 }, accountId });
        throw new Error('the domain change failed');
      }),
    ).rejects.toThrow('the domain change failed');
    expect(await rowsOf(accountId)).toEqual([]);

    await storage.db.transaction().execute((tx) => queue.enqueue(tx, { type, payload: { n: 2 }, accountId }));
    expect((await rowsOf(accountId)).map((r) => JSON.parse(r.payload) as unknown)).toEqual([{ n: 2 }]);
  });

  it('runs an enqueued job once, with its payload parsed, and deletes it', async () => {
    const { type, schemas } = probeType();
    const accountId = newId();
    const seen: { payload: Probe; accountId: string; attempt: number }[] = [];
    // Polling only hourly: the enqueue's notification is what wakes the worker.
    const worker = workerFor(type, schemas, async (payload, ctx) => {
      seen.push({ payload, accountId: ctx.accountId, attempt: ctx.attempt });
      return done();
    }, systemClock, { pollMs: 60 * 60 * 1000 });
    await worker.start();
    try {
      const id = await queueFor(systemClock).enqueue(storage.db, { type, payload: { n: 7 }, accountId });
      await vi.waitFor(async () => expect(await rowOf(id ?? '')).toBeUndefined(), { timeout: 10_000, interval: 20 });
      expect(seen).toEqual([{ payload: { n: 7, label: 'none' }, accountId, attempt: 1 }]);
      expect(worker.stats).toMatchObject({ claimed: 1, succeeded: 1, failed: 0, running: 0 });
    } finally {
      await worker.stop();
    }
  });

  it('fails a job whose payload does not match its schema without running it', async () => {
    const { type, schemas } = probeType();
    const clock = new ManualClock();
    let runs = 0;
    const worker = workerFor(type, schemas, async () => {
      runs += 1;
      return done();
    }, clock);
    const id = await queueFor(clock).enqueue(storage.db, { type, payload: { n: 'seven' } as never, accountId: newId() });
    expect(await worker.drain()).toBe(1);
    expect(runs).toBe(0);
    const row = await rowOf(id ?? '');
    expect(row).toMatchObject({ status: 'failed', attempts: 1, locked_by: null });
    expect(row?.last_error).toMatch(/does not match the test\.\S+ schema/);
  });

  it('retries a failing job with growing backoff, then keeps it as failed with the last error', async () => {
    const { type, schemas } = probeType();
    const clock = new ManualClock();
    const attempts: number[] = [];
    const worker = workerFor(type, schemas, async (_payload, ctx) => {
      attempts.push(ctx.attempt);
      throw new Error(`boom ${ctx.attempt}`);
    }, clock, { backoff: { baseMs: 1000, maxMs: 60_000 } });
    const id = (await queueFor(clock).enqueue(storage.db, { type, payload: { n: 1 }, accountId: newId(), maxAttempts: 3 })) ?? '';

    const delayOf = async () => Date.parse((await rowOf(id))?.run_at ?? '') - clock.now().getTime();

    expect(await worker.drain()).toBe(1);
    expect(await rowOf(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'boom 1', locked_by: null, locked_until: null });
    // Equal jitter: the first retry waits between half and all of the 1 s base.
    expect(await delayOf()).toBeGreaterThanOrEqual(500);
    expect(await delayOf()).toBeLessThanOrEqual(1000);
    expect(await worker.drain()).toBe(0);

    clock.advance(1000);
    expect(await worker.drain()).toBe(1);
    expect(await rowOf(id)).toMatchObject({ status: 'pending', attempts: 2, last_error: 'boom 2' });
    expect(await delayOf()).toBeGreaterThanOrEqual(1000);
    expect(await delayOf()).toBeLessThanOrEqual(2000);

    clock.advance(2000);
    expect(await worker.drain()).toBe(1);
    expect(await rowOf(id)).toMatchObject({ status: 'failed', attempts: 3, last_error: 'boom 3', locked_by: null });

    clock.advance(60 * 60 * 1000);
    expect(await worker.drain()).toBe(0);
    expect(attempts).toEqual([1, 2, 3]);
    expect(worker.stats).toMatchObject({ retried: 2, failed: 1, succeeded: 0 });
  });

  it('wakes a running worker when a retry falls due, without waiting for a poll', async () => {
    const { type, schemas } = probeType();
    const clock = new ManualClock();
    const attempts: number[] = [];
    const worker = workerFor(type, schemas, async (_payload, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) throw new Error('not yet');
      return done();
    }, clock, { pollMs: 60 * 60 * 1000, backoff: { baseMs: 1000, maxMs: 1000 } });
    await worker.start();
    try {
      const id = (await queueFor(clock).enqueue(storage.db, { type, payload: { n: 2 }, accountId: newId() })) ?? '';
      await vi.waitFor(() => expect(worker.stats.retried).toBe(1), { timeout: 10_000, interval: 20 });
      expect(attempts).toEqual([1]);
      clock.advance(1000);
      await vi.waitFor(async () => expect(await rowOf(id)).toBeUndefined(), { timeout: 10_000, interval: 20 });
      expect(attempts).toEqual([1, 2]);
    } finally {
      await worker.stop();
    }
  });

  it('runs again a job whose worker died holding it, once the lease has expired', async () => {
    const { type, schemas } = probeType();
    const clock = new ManualClock();
    const id = (await queueFor(clock).enqueue(storage.db, { type, payload: { n: 3 }, accountId: newId() })) ?? '';
    // All a crashed worker leaves behind is its claim.
    const [dead] = await claimJobs(storage.db, storage.dialect, {
      workerId: 'dead-worker', types: [type], exclude: [], limit: 5, now: iso(clock.now()), leaseUntil: iso(new Date(clock.now().getTime() + 30_000)),
    });
    expect(dead).toMatchObject({ id, status: 'running', locked_by: 'dead-worker', attempts: 1 });

    const attempts: number[] = [];
    const worker = workerFor(type, schemas, async (_payload, ctx) => {
      attempts.push(ctx.attempt);
      return done();
    }, clock, { leaseMs: 30_000 });
    expect(await worker.drain()).toBe(0);
    clock.advance(30_001);
    expect(await worker.drain()).toBe(1);
    expect(attempts).toEqual([2]);
    expect(await rowOf(id)).toBeUndefined();
  });


  it('starts a job enqueued `here` on the attached worker as its transaction commits, without a notification or a claim', async () => {
    const { type, schemas } = probeType();
    const accountId = newId();
    const seen: number[] = [];
    // No poll and no notification for claimed jobs: only the hand-off can run it.
    const worker = workerFor(type, schemas, async ({ n }) => {
      seen.push(n);
      return done();
    }, systemClock, { pollMs: 60 * 60 * 1000 });
    await worker.start();
    try {
      const queue = createJobQueue<{ type: string; payload: { n: number } }>({ storage, clock: systemClock });
      queue.attach(worker);
      await queue.transaction(async (trx) => {
        await queue.enqueue(trx, { type, payload: { n: 1 }, accountId, here: true });
        expect(seen).toEqual([]);
      });
      await vi.waitFor(async () => expect(await rowsOf(accountId)).toEqual([]), { timeout: 10_000, interval: 20 });
      expect(seen).toEqual([1]);

      // A rolled-back transaction hands nothing over.
      await expect(queue.transaction(async (trx) => {
        await queue.enqueue(trx, { type, payload: { n: 2 }, accountId, here: true });
        throw new Error('the domain change failed');
      })).rejects.toThrow('the domain change failed');
      expect(await rowsOf(accountId)).toEqual([]);
      expect(seen).toEqual([1]);
    } finally {
      await worker.stop();
    }
  });

  it('renews leases without waiting for a row another transaction holds, and without giving that job up', async () => {
    if (db !== 'postgres') return; // SQLite runs one transaction at a time: nothing else can hold a row.
    const { type } = probeType();
    const clock = new ManualClock();
    const accountId = newId();
    const queue = queueFor(clock);
    for (const n of [1, 2]) await queue.enqueue(storage.db, { type, payload: { n }, accountId });
    const lease = (ms: number) => iso(new Date(clock.now().getTime() + ms));
    const [held, other] = await claimJobs(storage.db, storage.dialect, { workerId: 'w-1', types: [type], exclude: [], limit: 2, now: iso(clock.now()), leaseUntil: lease(30_000) });
    if (!held || !other) throw new Error('expected two claims');
    // The second one is another worker's now (this one lost its lease).
    await storage.db.updateTable('jobs').set({ locked_by: 'w-2' }).where('id', '=', other.id).execute();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // Another transaction (this worker finishing the job, say) holds the row while the heartbeat runs.
    const holder = storage.db.transaction().execute(async (trx) => {
      await trx.selectFrom('jobs').select('id').where('id', '=', held.id).forUpdate().execute();
      locked();
      await released;
    });
    await isLocked;
    try {
      expect(await renewLeases(storage.db, storage.dialect, 'w-1', [held.id, other.id], lease(60_000), iso(clock.now()))).toEqual([held.id]);
    } finally {
      release();
      await holder;
    }
  });

  it('claims and renews leases with more jobs running than one statement can name', async () => {
    if (db !== 'sqlite') return; // SQLite's bound is 32,766 parameters; PostgreSQL's 65,535 would need twice the jobs.
    const { type, schemas } = probeType();
    const accountId = newId();
    const clock = new ManualClock();
    const at = iso(clock.now());
    const waiting = 33_000;
    const rows = Array.from({ length: waiting }, (_, n) => ({
      id: newId(), account_id: accountId, type, payload: JSON.stringify({ n }), dedupe_key: null, status: 'pending' as const, run_at: at,
      attempts: 0, max_attempts: 5, locked_by: null, locked_until: null, last_error: null, created_at: at, updated_at: at,
    }));
    for (let i = 0; i < rows.length; i += 1000) await storage.db.insertInto('jobs').values(rows.slice(i, i + 1000)).execute();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    // Each waits on an outside party (detached), as a ringing flow interaction does.
    const worker = workerFor(type, schemas, async (_payload, { detach }) => {
      detach();
      started += 1;
      await held;
      return done();
    }, clock, { leaseMs: 30_000, pollMs: 60 * 60 * 1000 });
    await worker.start();
    try {
      await vi.waitFor(() => expect(started).toBe(waiting), { timeout: 60_000, interval: 50 });
      // The heartbeat renews all 33,000 leases, and a claim pass still runs beside them.
      clock.advance(10_001);
      await vi.waitFor(async () => {
        const renewed = await storage.db.selectFrom('jobs').select(({ fn }) => fn.countAll<number>().as('n')).where('account_id', '=', accountId).where('locked_until', '>', iso(new Date(clock.now().getTime() + 25_000))).executeTakeFirstOrThrow();
        expect(Number(renewed.n)).toBe(waiting);
      }, { timeout: 30_000, interval: 100 });
      const late = (await queueFor(clock).enqueue(storage.db, { type, payload: { n: -1 }, accountId })) ?? '';
      await vi.waitFor(() => expect(started).toBe(waiting + 1), { timeout: 10_000, interval: 20 });
      expect(await rowOf(late)).toMatchObject({ status: 'running' });
      release();
      await vi.waitFor(async () => expect(await rowsOf(accountId)).toHaveLength(0), { timeout: 60_000, interval: 200 });
    } finally {
      release();
      await worker.stop();
    }
  }, 120_000);

  it('runs a pooled type in places of its own: a busy shared slot does not hold it up, and its pool bounds it', async () => {
    const shared = probeType();
    const pooled = probeType();
    const accountId = newId();
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    const hold = (label: string) => new Promise<void>((resolve) => gates.set(label, resolve));
    const handler: JobHandler<Probe> = async ({ label }) => {
      started.push(label);
      await hold(label);
      return done();
    };
    const worker = createWorker({
      storage, clock: systemClock, logger: createLogger('silent'),
      schemas: { ...shared.schemas, ...pooled.schemas },
      handlers: { [shared.type]: handler as JobHandler<unknown>, [pooled.type]: handler as JobHandler<unknown> },
      concurrency: 1, pools: { [pooled.type]: 1 }, pollMs: 60 * 60 * 1000,
    });
    await worker.start();
    try {
      const queue = createJobQueue<{ type: string; payload: { n: number; label: string } }>({ storage, clock: systemClock });
      queue.attach(worker);
      const enqueue = (type: string, label: string, here: boolean) => queue.transaction((trx) => queue.enqueue(trx, { type, payload: { n: 0, label }, accountId, here }));
      await enqueue(shared.type, 'shared', true);
      await vi.waitFor(() => expect(started).toEqual(['shared']), { timeout: 10_000, interval: 10 });
      // The one shared slot is taken; the pool has its own place.
      expect(worker.hasRoom(shared.type)).toBe(false);
      expect(worker.hasRoom(pooled.type)).toBe(true);
      await enqueue(pooled.type, 'first send', true);
      await vi.waitFor(() => expect(started).toEqual(['shared', 'first send']), { timeout: 10_000, interval: 10 });
      // The pool is full: the next waits in the table (notified, not handed over), and starts when the first ends.
      await enqueue(pooled.type, 'second send', true);
      await enqueue(pooled.type, 'third send', false);
      await new Promise((r) => setTimeout(r, 100));
      expect(started).toEqual(['shared', 'first send']);
      gates.get('first send')?.();
      await vi.waitFor(() => expect(started).toHaveLength(3), { timeout: 10_000, interval: 10 });
      gates.get(started[2] ?? '')?.();
      await vi.waitFor(() => expect(started).toHaveLength(4), { timeout: 10_000, interval: 10 });
      expect(started.slice(2).sort()).toEqual(['second send', 'third send']);
      gates.get(started[3] ?? '')?.();
      gates.get('shared')?.();
      await vi.waitFor(async () => expect(await rowsOf(accountId)).toEqual([]), { timeout: 10_000, interval: 20 });
    } finally {
      for (const open of gates.values()) open();
      await worker.stop();
    }
  });

  it('leaves a job enqueued `here` in the table when the worker has no free slot, and runs it when one frees', async () => {
    const { type, schemas } = probeType();
    const accountId = newId();
    const started: number[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const worker = workerFor(type, schemas, async ({ n }) => {
      started.push(n);
      if (n === 1) await held;
      return done();
    }, systemClock, { concurrency: 1, pollMs: 60 * 60 * 1000 });
    await worker.start();
    try {
      const queue = createJobQueue<{ type: string; payload: { n: number } }>({ storage, clock: systemClock });
      queue.attach(worker);
      await queue.transaction((trx) => queue.enqueue(trx, { type, payload: { n: 1 }, accountId, here: true }));
      await vi.waitFor(() => expect(started).toEqual([1]), { timeout: 10_000, interval: 10 });
      // The one slot is taken: the second waits as any pending job, claimed by no one yet.
      await queue.transaction((trx) => queue.enqueue(trx, { type, payload: { n: 2 }, accountId, here: true }));
      expect((await rowsOf(accountId)).map((row) => row.status).sort()).toEqual(['pending', 'running']);
      expect(started).toEqual([1]);
      release();
      await vi.waitFor(async () => expect(await rowsOf(accountId)).toEqual([]), { timeout: 10_000, interval: 20 });
      expect(started).toEqual([1, 2]);
    } finally {
      release();
      await worker.stop();
    }
  });

  it('lets another worker take over a job enqueued `here` whose node died before running it, once the lease expires', async () => {
    const { type, schemas } = probeType();
    const clock = new ManualClock();
    const accountId = newId();
    // The node's worker is gone (never adopts): what it leaves behind is the claimed row.
    const gone = { id: 'gone-worker', leaseMs: 30_000, hasRoom: () => true, adopt: () => undefined };
    const queue = createJobQueue<{ type: string; payload: { n: number } }>({ storage, clock });
    queue.attach(gone);
    await queue.transaction((trx) => queue.enqueue(trx, { type, payload: { n: 5 }, accountId, here: true }));
    expect(await rowsOf(accountId)).toMatchObject([{ status: 'running', locked_by: 'gone-worker', attempts: 1 }]);

    const attempts: number[] = [];
    const worker = workerFor(type, schemas, async (_payload, ctx) => {
      attempts.push(ctx.attempt);
      return done();
    }, clock, { leaseMs: 30_000 });
    expect(await worker.drain()).toBe(0);
    clock.advance(30_001);
    expect(await worker.drain()).toBe(1);
    expect(attempts).toEqual([2]);
    expect(await rowsOf(accountId)).toEqual([]);
  });
  it('keeps a worker whose lease expired from overwriting the claim of the worker that took over', async () => {
    const { type } = probeType();
    const clock = new ManualClock();
    const id = (await queueFor(clock).enqueue(storage.db, { type, payload: { n: 4 }, accountId: newId() })) ?? '';
    const claim = (workerId: string) =>
      claimJobs(storage.db, storage.dialect, { workerId, types: [type], exclude: [], limit: 1, now: iso(clock.now()), leaseUntil: iso(new Date(clock.now().getTime() + 1000)) });

    const [first] = await claim('slow-worker');
    expect(await claim('other-worker')).toEqual([]);
    clock.advance(1001);
    const [second] = await claim('other-worker');
    expect(second).toMatchObject({ id, locked_by: 'other-worker', attempts: 2 });

    const stale = claimOf(first!, 'slow-worker');
    const now = iso(clock.now());
    expect(await completeJob(storage.db, stale)).toBe(false);
    expect(await retryJob(storage.db, stale, now, 'late failure', now)).toBe(false);
    expect(await failJob(storage.db, stale, 'late failure', now)).toBe(false);
    expect(await rowOf(id)).toMatchObject({ status: 'running', locked_by: 'other-worker', attempts: 2, last_error: null });

    expect(await completeJob(storage.db, claimOf(second!, 'other-worker'))).toBe(true);
    expect(await rowOf(id)).toBeUndefined();
  });

  it('renews the lease of a job that runs longer than the lease, so no other worker claims it meanwhile', async () => {
    const { type, schemas } = probeType();
    const clock = new ManualClock();
    const id = (await queueFor(clock).enqueue(storage.db, { type, payload: { n: 5 }, accountId: newId() })) ?? '';
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    let runs = 0;
    const slow = workerFor(type, schemas, async () => {
      started = true;
      runs += 1;
      await gate;
      return done();
    }, clock, { leaseMs: 30_000 });
    const other = workerFor(type, schemas, async () => {
      runs += 1;
      return done();
    }, clock, { leaseMs: 30_000 });

    const draining = slow.drain();
    await vi.waitFor(() => expect(started).toBe(true));
    const leasedUntil = Date.parse((await rowOf(id))?.locked_until ?? '');
    clock.advance(10_000);
    await vi.waitFor(async () => expect(Date.parse((await rowOf(id))?.locked_until ?? '')).toBeGreaterThan(leasedUntil));
    clock.advance(25_000);
    expect(await other.drain()).toBe(0);

    release();
    expect(await draining).toBe(1);
    expect(runs).toBe(1);
    expect(await rowOf(id)).toBeUndefined();
  });

  it('holds one live job per dedupe key, and frees the key once that job has failed', async () => {
    const { type, schemas } = probeType();
    const clock = new ManualClock();
    const accountId = newId();
    const queue = queueFor(clock);
    const first = await queue.enqueue(storage.db, { type, payload: { n: 1 }, accountId, dedupeKey: 'only-one', maxAttempts: 1 });
    expect(first).toEqual(expect.any(String));
    expect(await queue.enqueue(storage.db, { type, payload: { n: 2 }, accountId, dedupeKey: 'only-one' })).toBeNull();
    // Keys are per account.
    expect(await queue.enqueue(storage.db, { type, payload: { n: 3 }, accountId: newId(), dedupeKey: 'only-one' })).toEqual(expect.any(String));
    expect(await rowsOf(accountId)).toHaveLength(1);

    const worker = workerFor(type, schemas, () => Promise.reject(new Error('always')), clock);
    await worker.drain();
    expect(await rowOf(first ?? '')).toMatchObject({ status: 'failed' });
    const again = await queue.enqueue(storage.db, { type, payload: { n: 4 }, accountId, dedupeKey: 'only-one' });
    expect(again).toEqual(expect.any(String));
    expect(again).not.toBe(first);
  });

  it('waits in stop() for running handlers to finish', async () => {
    const { type, schemas } = probeType();
    const events: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const worker = workerFor(type, schemas, async () => {
      events.push('handler started');
      await gate;
      events.push('handler finished');
      return done();
    }, systemClock);
    await worker.start();
    const id = (await queueFor(systemClock).enqueue(storage.db, { type, payload: { n: 6 }, accountId: newId() })) ?? '';
    await vi.waitFor(() => expect(events).toEqual(['handler started']), { timeout: 10_000, interval: 20 });

    const stopped = worker.stop().then(() => events.push('stopped'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['handler started']);
    release();
    await stopped;
    expect(events).toEqual(['handler started', 'handler finished', 'stopped']);
    expect(await rowOf(id)).toBeUndefined();
  });

  it('frees the slot of a job that detaches (a call in progress) while still holding and finishing the job', async () => {
    const { type, schemas } = probeType();
    const accountId = newId();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: number[] = [];
    // One slot: the waiting jobs detach, so the quick ones behind them still run.
    const worker = workerFor(type, schemas, async ({ n }, ctx) => {
      started.push(n);
      if (n < 3) {
        ctx.detach();
        await gate;
      }
      return done();
    }, systemClock, { concurrency: 1 });
    await worker.start();
    try {
      const queue = queueFor(systemClock);
      for (const n of [1, 2, 3, 4]) await queue.enqueue(storage.db, { type, payload: { n }, accountId });
      await vi.waitFor(async () => expect((await rowsOf(accountId)).map((r) => JSON.parse(r.payload) as { n: number }).map((p) => p.n).sort()).toEqual([1, 2]), { timeout: 10_000, interval: 20 });
      expect(started.sort()).toEqual([1, 2, 3, 4]);
      expect((await rowsOf(accountId)).every((r) => r.status === 'running')).toBe(true);
      release();
      await vi.waitFor(async () => expect(await rowsOf(accountId)).toEqual([]), { timeout: 10_000, interval: 20 });
    } finally {
      await worker.stop();
    }
  });

  it('stops waiting for a handler after the stop timeout and aborts it, recording the attempt for a retry', async () => {
    const { type, schemas } = probeType();
    let started = false;
    const worker = workerFor(type, schemas, (_payload, ctx) => {
      started = true;
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
    }, systemClock, { stopTimeoutMs: 50 });
    await worker.start();
    const id = (await queueFor(systemClock).enqueue(storage.db, { type, payload: { n: 8 }, accountId: newId() })) ?? '';
    await vi.waitFor(() => expect(started).toBe(true), { timeout: 10_000, interval: 20 });

    await worker.stop();
    expect(await rowOf(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'the worker is stopping', locked_by: null });
  });
});
