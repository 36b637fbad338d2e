import { type Migration, sql } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import type { AnyDb } from './common.js';

/**
 * One row per account and rate-limited bucket: the times (ms since the epoch, ascending) of the
 * requests admitted within the last two windows, and the decision of the latest request. The row is
 * the serialisation point every node's admission goes through (see the accounts domain's
 * rate-limits.repo.ts), so it holds everything the decision reads. `hits` is a bigint array on
 * PostgreSQL and a JSON array (text) on SQLite.
 */
export function rateLimits(dialect: DialectName): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('rate_limits')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('hits', dialect === 'postgres' ? sql`bigint[]` : 'text', (c) => c.notNull())
        .addColumn('admitted', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_limits_pk', ['account_id', 'bucket'])
        .execute();
    },
  };
}
