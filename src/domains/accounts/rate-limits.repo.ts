import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../ports/storage.js';

export interface AdmitRequest {
  accountId: string;
  bucket: string;
  /** The request's time, ms since the epoch. */
  atMs: number;
  /** How many requests a window admits. */
  limit: number;
  windowMs: number;
}

export interface AdmitResult {
  admitted: boolean;
  /**
   * When refused for a full window: the first instant (ms since the epoch) at which a request
   * would be admitted; null otherwise.
   */
  retryAtMs: number | null;
}

type Row = { admitted: number; retry_at: number | null };

/**
 * One statement decides and records an admission (a sliding log). The upsert locks the
 * (account, bucket) row and evaluates the decision against the row's latest committed version,
 * so every connection of every node is serialised on that row and no two can both take the last
 * place in a window. A request is admitted when fewer than `limit` logged admissions are later
 * than `atMs - windowMs` (admissions stamped after `atMs` by a request that got to the row first
 * count too), and its time is then added to the log.
 *
 * The log is the sorted times of the last `limit` admissions, and that is all the decision needs:
 * fewer than `limit` of them lie in the window exactly when the `limit`-th most recent does not,
 * and when it does, a place frees up one window after it. So a decision reads one element and an
 * admission appends one and drops the oldest, in C, whatever the limit (unnesting, counting and
 * sorting a log of two windows cost 5 ms a request at 1,000 a second, which held every account to
 * 200). A log written with a higher limit, or before this, is cut down at the next admission.
 *
 * Requests reach the row in a different order than their clocks were read in: one stamped before
 * the newest admission is inserted in order. One stamped more than a window before it (it waited
 * over a window for a connection or the lock) cannot be judged against the log and is refused.
 * Refusals leave the log as it is; they rewrite `admitted` only to return the decision and the
 * retry time from the same atomic step.
 */
function pgAdmit({ accountId, bucket, atMs, limit, windowMs }: AdmitRequest): RawBuilder<Row> {
  const at = sql`${atMs}::bigint`;
  const span = sql`${windowMs}::bigint`;
  const max = sql`${limit}::integer`;
  const last = sql`cardinality(r.hits)`;
  const fresh = sql`${at} >= r.hits[${last}] - ${span}`;
  const room = sql`(${last} < ${max} or r.hits[${last} - ${max} + 1] <= ${at} - ${span})`;
  const admit = sql`(${fresh} and ${room})`;
  const added = sql`case when ${at} >= r.hits[${last}] then r.hits || ${at} else array(select h from unnest(r.hits || ${at}) h order by h) end`;
  return sql<Row>`
    insert into rate_limits as r (account_id, bucket, hits, admitted)
    values (${accountId}, ${bucket}, array[${at}], 1)
    on conflict (account_id, bucket) do update set
      admitted = case when ${admit} then 1 else 0 end,
      hits = case when ${admit} then (${added})[greatest(${last} + 2 - ${max}, 1):] else r.hits end
    returning admitted,
      case when admitted = 1 then null else hits[cardinality(hits) - ${max} + 1] + ${span} end as retry_at`;
}

/** PostgreSQL only: on SQLite the log is kept in memory (`memory-admissions.ts`). */
export function rateLimitsRepo(db: Executor) {
  return {
    /** Must run outside a transaction: the row lock is held until commit. */
    async admit(request: AdmitRequest): Promise<AdmitResult> {
      const row = (await pgAdmit(request).execute(db)).rows[0];
      if (!row) throw new Error('rate limit upsert returned no row');
      return { admitted: row.admitted === 1, retryAtMs: row.retry_at === null ? null : Number(row.retry_at) };
    },
  };
}
