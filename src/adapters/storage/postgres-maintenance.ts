import { sql } from 'kysely';
import type { Executor } from '../../ports/storage.js';

/** Autovacuum's default thresholds: a table is vacuumed past 50 + 20 % dead rows, analyzed past 50 + 10 % changed. */
const BASE_THRESHOLD = 50;
const VACUUM_SCALE = 0.2;
const ANALYZE_SCALE = 0.1;
/** Autovacuum's nap: a table other than the queue is tidied at most once a minute. */
const NAP_S = 60;
/** The queue: thousands of rows inserted and deleted a second under load, tidied whenever it needs it. */
const QUEUE = 'jobs';

interface TableActivity {
  table: string;
  vacuum: boolean;
  analyze: boolean;
}

/**
 * Vacuums and analyzes the tables of the current schema as autovacuum would with its default
 * settings: those whose dead rows passed its threshold are vacuumed, those whose changes since the
 * last analyze did are analyzed, at most once a minute each (by any vacuum, ours or autovacuum's),
 * except the jobs table, tidied whenever it needs it. Without this (autovacuum off, or between
 * its naps) the claim walks ever more dead entries and the planner plans on an empty table's
 * statistics. `truncate false`: vacuum never takes the lock that would stop queries to hand empty
 * pages back; new rows reuse them. Returns what it did, e.g. `vacuum jobs`. VACUUM cannot run in
 * a transaction: `db` must be the pool.
 */
export async function maintainTables(db: Executor): Promise<string[]> {
  const { rows } = await sql<TableActivity>`
    select relname as "table",
      n_dead_tup > ${sql.lit(BASE_THRESHOLD)} + ${sql.lit(VACUUM_SCALE)} * n_live_tup as "vacuum",
      n_mod_since_analyze > ${sql.lit(BASE_THRESHOLD)} + ${sql.lit(ANALYZE_SCALE)} * n_live_tup as "analyze"
    from pg_stat_user_tables
    where schemaname = current_schema()
      and (relname = ${QUEUE} or greatest(last_vacuum, last_autovacuum, last_analyze, last_autoanalyze, 'epoch') < now() - make_interval(secs => ${sql.lit(NAP_S)}))`.execute(db);
  const done: string[] = [];
  for (const { table, vacuum, analyze } of rows) {
    if (vacuum) {
      await sql`vacuum (analyze, truncate false) ${sql.id(table)}`.execute(db);
      done.push(`vacuum ${table}`);
    } else if (analyze) {
      await sql`analyze ${sql.id(table)}`.execute(db);
      done.push(`analyze ${table}`);
    }
  }
  return done;
}
