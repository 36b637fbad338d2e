import { sql, type Migration } from 'kysely';
import type { AnyDb } from './common.js';

/**
 * The trash purge's index: the hourly housekeeping job deletes cases trashed more than 30 days
 * ago across every account (like `idempotency_keys_by_age`), so it is not led by account_id.
 * Partial, so it holds only the trash, a small part of the table.
 */
export function casesCore(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.createIndex('cases_trashed').on('cases').column('deleted_at').where(sql.raw<boolean>('deleted_at is not null')).execute();
    },
  };
}
