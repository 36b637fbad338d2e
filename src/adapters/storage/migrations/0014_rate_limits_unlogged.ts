import { type Migration, sql } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import type { AnyDb } from './common.js';

/**
 * PostgreSQL: the rate-limit log is written without WAL. Every node's admissions queue on the
 * account's row, which stays locked until the admission commits; a logged write held it for the
 * WAL flush too (a fsync per admission, one admission at a time), while an unlogged one commits
 * without waiting. A crash empties the table, which forgets at most the last second of
 * admissions: as SQLite's in-memory log does on a restart. SQLite keeps no such table.
 */
export function rateLimitsUnlogged(dialect: DialectName): Migration {
  return {
    async up(db: AnyDb) {
      if (dialect === 'postgres') await sql`alter table rate_limits set unlogged`.execute(db);
    },
  };
}
