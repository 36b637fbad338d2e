import type { Migration } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import { types, type AnyDb } from './common.js';

/**
 * Interactions (one run of a published flow version) and their steps. The interaction row is the
 * interpreter's whole state between steps: where it is (`current`), its variables, the call it
 * holds, the leg it is placing and its counters, so a node that dies mid-interaction leaves
 * everything the next needs.
 */
export function interactions(dialect: DialectName): Migration {
  const { ts } = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('interactions')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('flow_id', 'text', (c) => c.notNull())
        .addColumn('flow_version_id', 'text', (c) => c.notNull())
        .addColumn('flow_execution_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('arguments', 'text', (c) => c.notNull())
        .addColumn('variables', 'text', (c) => c.notNull())
        .addColumn('current', 'text')
        .addColumn('call', 'text')
        .addColumn('placing', 'text')
        .addColumn('steps', 'integer', (c) => c.notNull())
        .addColumn('repeats', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('ended_at', ts)
        .addPrimaryKeyConstraint('interactions_pk', ['account_id', 'id'])
        .execute();
      // The execution report: a flow's interactions, newest first.
      await db.schema.createIndex('interactions_by_flow').on('interactions').columns(['account_id', 'flow_id', 'created_at', 'id']).execute();

      await db.schema
        .createTable('interaction_steps')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('interaction_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('component', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('exit', 'text')
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('ended_at', ts, (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('interaction_steps_pk', ['account_id', 'interaction_id', 'seq'])
        .addForeignKeyConstraint('interaction_steps_fk', ['account_id', 'interaction_id'], 'interactions', ['account_id', 'id'], (c) => c.onDelete('cascade'))
        .execute();
    },
  };
}
