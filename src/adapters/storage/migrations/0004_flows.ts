import type { Migration } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import { types, type AnyDb } from './common.js';

/**
 * Flows and their published versions. A flow row holds the editable draft (JSON text as the
 * client wrote it, valid or not) and a copy of its latest version's reference so lists need no
 * join; `versions` counts publications and numbers the next one. A version row is written once
 * and never updated.
 */
export function flows(dialect: DialectName): Migration {
  const { ts } = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('flows')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('draft', 'text', (c) => c.notNull())
        .addColumn('draft_updated_at', ts, (c) => c.notNull())
        .addColumn('versions', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('published_version_id', 'text')
        .addColumn('published_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('flows_pk', ['account_id', 'id'])
        .execute();

      await db.schema
        .createTable('flow_versions')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('flow_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('published_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('flow_versions_pk', ['account_id', 'id'])
        // Also the index behind a flow's version list, newest first.
        .addUniqueConstraint('flow_versions_number_unique', ['account_id', 'flow_id', 'version'])
        .addForeignKeyConstraint('flow_versions_flow_fk', ['account_id', 'flow_id'], 'flows', ['account_id', 'id'], (c) => c.onDelete('cascade'))
        .execute();
    },
  };
}
