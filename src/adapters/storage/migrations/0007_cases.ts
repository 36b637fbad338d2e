import type { Migration } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import { types, type AnyDb } from './common.js';

/**
 * Cases, their notes, their audit trail, custom statuses and the account's case settings.
 * The six built-in statuses are not rows: their ids are their category names. `search_text` is
 * the title, description and every note's body, kept by the service; full-text indexes over it
 * belong to the search migration. `priority_rank` (0 = none, 1 = low ... 4 = urgent) is what
 * sorting by priority orders on.
 */
export function cases(dialect: DialectName): Migration {
  const { ts } = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('case_statuses')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('case_statuses_pk', ['account_id', 'id'])
        .addUniqueConstraint('case_statuses_name_uq', ['account_id', 'name_key'])
        .execute();

      await db.schema
        .createTable('cases')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('status_id', 'text', (c) => c.notNull())
        .addColumn('status_category', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('priority', 'text')
        .addColumn('priority_rank', 'integer', (c) => c.notNull())
        .addColumn('requester_id', 'text')
        .addColumn('requester_name', 'text')
        .addColumn('requester_email', 'text')
        .addColumn('requester_phone', 'text')
        .addColumn('assignee_id', 'text')
        .addColumn('group_id', 'text')
        .addColumn('problem_id', 'text')
        .addColumn('due_at', ts)
        .addColumn('resolution', 'text')
        .addColumn('custom_fields', 'text', (c) => c.notNull())
        .addColumn('channel', 'text')
        .addColumn('related', 'text', (c) => c.notNull())
        .addColumn('search_text', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('resolved_at', ts)
        .addColumn('closed_at', ts)
        .addColumn('deleted_at', ts)
        .addPrimaryKeyConstraint('cases_pk', ['account_id', 'id'])
        .execute();
      // A problem's incidents, resolved together with it.
      await db.schema.createIndex('cases_by_problem').on('cases').columns(['account_id', 'problem_id']).execute();

      await db.schema
        .createTable('case_notes')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('visibility', 'text', (c) => c.notNull())
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('case_notes_pk', ['account_id', 'id'])
        .addForeignKeyConstraint('case_notes_fk', ['account_id', 'case_id'], 'cases', ['account_id', 'id'], (c) => c.onDelete('cascade'))
        .execute();
      await db.schema.createIndex('case_notes_by_case').on('case_notes').columns(['account_id', 'case_id', 'created_at', 'id']).execute();

      await db.schema
        .createTable('case_audit')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('field', 'text')
        .addColumn('old_value', 'text')
        .addColumn('new_value', 'text')
        .addColumn('detail', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('case_audit_pk', ['account_id', 'id'])
        .addForeignKeyConstraint('case_audit_fk', ['account_id', 'case_id'], 'cases', ['account_id', 'id'], (c) => c.onDelete('cascade'))
        .execute();
      await db.schema.createIndex('case_audit_by_case').on('case_audit').columns(['account_id', 'case_id', 'created_at', 'id']).execute();

      await db.schema
        .createTable('case_settings')
        .addColumn('account_id', 'text', (c) => c.notNull().primaryKey().references('accounts.id').onDelete('cascade'))
        .addColumn('auto_close_after_days', 'integer', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  };
}
