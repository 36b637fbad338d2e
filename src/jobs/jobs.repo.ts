import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database, DialectName, Executor } from '../ports/storage.js';
import { reusable } from '../ports/reusable-statement.js';

export type JobRow = Database['jobs'];

/**
 * Identifies one claim of a job: who claimed it and which attempt it is. Every write a worker
 * makes after claiming is fenced by it, so a worker whose lease ran out (and whose job another
 * worker has claimed since) cannot overwrite the newer claim.
 */
export interface Claim {
  id: string;
  workerId: string;
  attempts: number;
}

export const claimOf = (row: JobRow, workerId: string): Claim => ({ id: row.id, workerId, attempts: row.attempts });

/** The partial indexes' predicate, word for word (see migrations.ts), so both dialects use them. */
const live = sql<boolean>`status in ('pending', 'running')`;

/**
 * The types a worker (or one of its pools) runs, written into the statement rather than passed
 * as parameters: the claim is prepared once and planned for any values on PostgreSQL, and only
 * with the types in view can the planner tell a pool with few due jobs (read through
 * `jobs_live_by_type`) from one with a backlog (read in `run_at` order). Types are the app's own
 * constants, never input.
 */
const typeIn = (types: readonly string[]) => sql<boolean>`type in (${sql.join(types.map((type) => sql.lit(type)))})`;

/** Inserts a job unless a live job of the account already holds its dedupe key; true when inserted. */
export async function insertJob(executor: Executor, row: JobRow): Promise<boolean> {
  const result = await insertUnlessHeld(executor, row);
  return result.numAffectedRows === 1n;
}

// No conflict target: the only unique index that can conflict is the partial dedupe one, and
// naming a partial index as a target needs its predicate repeated on both dialects.
const insertUnlessHeld = reusable((db, row: JobRow) => db.insertInto('jobs').values(row).onConflict((oc) => oc.doNothing()));

/** Deletes the account's pending job holding `dedupeKey`; true when there was one. */
export async function cancelPendingJob(executor: Executor, accountId: string, dedupeKey: string): Promise<boolean> {
  const result = await executor
    .deleteFrom('jobs')
    .where('account_id', '=', accountId)
    .where('dedupe_key', '=', dedupeKey)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Moves every pending job of one type in the account to `runAt`; how many moved. */
export async function reschedulePendingJobs(executor: Executor, accountId: string, type: string, runAt: string, now: string): Promise<number> {
  const result = await executor
    .updateTable('jobs')
    .set({ run_at: runAt, updated_at: now })
    .where('account_id', '=', accountId)
    .where('type', '=', type)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface ClaimRequest {
  workerId: string;
  /** Only these types: a node never claims a job it has no handler for (rolling deploys, test workers). */
  types: readonly string[];
  /** Jobs this worker is still running whose lease may have lapsed, so it never claims one of its own twice. */
  exclude: readonly string[];
  limit: number;
  now: string;
  leaseUntil: string;
}

/**
 * Claims up to `limit` due jobs: pending ones whose time has come, and running ones whose lease
 * ran out (their worker died or lost the database). A running job's run_at is never later than
 * when it was claimed, so `run_at <= now` holds for every expired one too and the whole query
 * walks the live index in run_at order. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets any number of
 * nodes claim at once without waiting on or double-claiming each other's rows.
 */
export async function claimJobs(db: Executor, dialect: DialectName, request: ClaimRequest): Promise<JobRow[]> {
  if (request.limit <= 0 || request.types.length === 0) return [];
  const due = db
    .selectFrom('jobs')
    .select('id')
    .where(live)
    .where('run_at', '<=', request.now)
    .where((eb) => eb.or([eb('status', '=', sql.lit('pending')), eb('locked_until', '<', request.now)]))
    .where(typeIn(request.types))
    .$if(request.exclude.length > 0, (q) => q.where('id', 'not in', request.exclude))
    .orderBy('run_at')
    .limit(request.limit);
  const rows = await db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      locked_by: request.workerId,
      locked_until: request.leaseUntil,
      attempts: eb('attempts', '+', 1),
      updated_at: request.now,
    }))
    // `= any(array(…))` on PostgreSQL: the rows are then updated by primary key whatever the
    // plan thinks the limit is (a prepared statement's plan cannot know it, and read the whole
    // table to join a few rows).
    .where(dialect === 'postgres' ? sql<boolean>`id = any(array(${due.forUpdate().skipLocked()}))` : sql<boolean>`id in (${due})`)
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.run_at.localeCompare(b.run_at));
}

const fenced = (db: Executor, claim: Claim) =>
  db
    .updateTable('jobs')
    .where('id', '=', claim.id)
    .where('status', '=', 'running')
    .where('locked_by', '=', claim.workerId)
    .where('attempts', '=', claim.attempts);

const updated = (result: { numUpdatedRows: bigint }): boolean => result.numUpdatedRows === 1n;

/** Deletes a finished job; false when the claim is no longer this worker's. */
export async function completeJob(db: Executor, claim: Claim): Promise<boolean> {
  const result = await deleteClaimed(db, { id: claim.id, workerId: claim.workerId, attempts: claim.attempts });
  return result.numAffectedRows === 1n;
}

const deleteClaimed = reusable((db, claim: Claim) =>
  db.deleteFrom('jobs').where('id', '=', claim.id).where('status', '=', 'running').where('locked_by', '=', claim.workerId).where('attempts', '=', claim.attempts),
);

/** Makes a finished job pending again at `runAt` with its attempts reset (recurring jobs). */
export async function rescheduleJob(db: Executor, claim: Claim, runAt: string, now: string): Promise<boolean> {
  const result = await fenced(db, claim)
    .set({ status: 'pending', run_at: runAt, attempts: 0, locked_by: null, locked_until: null, last_error: null, updated_at: now })
    .executeTakeFirst();
  return updated(result);
}

/** Records a failed attempt and makes the job pending again at `runAt`. */
export async function retryJob(db: Executor, claim: Claim, runAt: string, error: string, now: string): Promise<boolean> {
  const result = await fenced(db, claim)
    .set({ status: 'pending', run_at: runAt, locked_by: null, locked_until: null, last_error: error, updated_at: now })
    .executeTakeFirst();
  return updated(result);
}

/** Gives up on a job: it stays as `failed` with the error, out of the claim index, for operators to inspect. */
export async function failJob(db: Executor, claim: Claim, error: string, now: string): Promise<boolean> {
  const result = await fenced(db, claim)
    .set({ status: 'failed', locked_by: null, locked_until: null, last_error: error, updated_at: now })
    .executeTakeFirst();
  return updated(result);
}

/**
 * Extends this worker's leases on `ids`; returns the ids it still holds. On PostgreSQL a row
 * another transaction has locked (this worker finishing that job, in a shared commit) is skipped
 * rather than waited for, which could deadlock with that commit; it still counts as held when
 * it is still this worker's, and is renewed at the next heartbeat.
 */
export async function renewLeases(db: Executor, dialect: DialectName, workerId: string, ids: readonly string[], leaseUntil: string, now: string): Promise<string[]> {
  if (ids.length === 0) return [];
  const mine = (query: SelectQueryBuilder<Database, 'jobs', object>, among: readonly string[]) =>
    query.where('id', 'in', among).where('status', '=', 'running').where('locked_by', '=', workerId);
  const unlocked = mine(db.selectFrom('jobs'), ids).select('id');
  const rows = await db
    .updateTable('jobs')
    .set({ locked_until: leaseUntil, updated_at: now })
    .where('id', 'in', dialect === 'postgres' ? unlocked.forUpdate().skipLocked() : unlocked)
    .returning('id')
    .execute();
  const renewed = rows.map((r) => r.id);
  if (renewed.length === ids.length) return renewed;
  const done = new Set(renewed);
  const skipped = ids.filter((id) => !done.has(id));
  const busy = await mine(db.selectFrom('jobs'), skipped).select('id').execute();
  return [...renewed, ...busy.map((r) => r.id)];
}

/** When the earliest pending job of these types falls due, or undefined when there is none. */
export async function nextRunAt(db: Executor, types: readonly string[]): Promise<string | undefined> {
  if (types.length === 0) return undefined;
  const row = await db
    .selectFrom('jobs')
    .select('run_at')
    .where(live)
    .where('status', '=', 'pending')
    .where(typeIn(types))
    .orderBy('run_at')
    .limit(1)
    .executeTakeFirst();
  return row?.run_at;
}

/** How many jobs of each type are in each state, and the run time of the oldest pending one already due, across the whole table (for /metrics). */
export function jobBacklog(db: Executor, now: string) {
  return db
    .selectFrom('jobs')
    .select(['type', 'status'])
    .select((eb) => [
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.min<string | null>(eb.case().when(eb.and([eb('status', '=', 'pending'), eb('run_at', '<=', now)])).then(eb.ref('run_at')).end()).as('oldest_due'),
    ])
    .groupBy(['type', 'status'])
    .execute();
}
