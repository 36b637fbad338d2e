import { type Migration, sql } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import { types, type AnyDb } from './common.js';

/** The predicate of the callbacks' dedupe index: the states in which a callback is still waiting. */
const WAITING_CALLBACK_STATES = "state in ('queued', 'reserved', 'dialing')";

export function callbacks(dialect: DialectName): Migration {
  const { ts } = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('calls').addColumn('kind', 'text').execute();
      await db.schema.alterTable('calls').addColumn('skill', 'text').execute();

      await db.schema
        .createTable('callbacks')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('skill_id', 'text', (c) => c.notNull())
        .addColumn('skill', 'text', (c) => c.notNull())
        .addColumn('number', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text')
        .addColumn('attempts', 'text', (c) => c.notNull())
        .addColumn('requests', 'integer', (c) => c.notNull())
        .addColumn('last_requested_at', ts, (c) => c.notNull())
        .addColumn('queued_at', ts, (c) => c.notNull())
        .addColumn('next_attempt_at', ts, (c) => c.notNull())
        .addColumn('dialing_since', ts)
        .addColumn('accepted_at', ts)
        .addColumn('customer_call_id', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('callbacks_pk', ['account_id', 'id'])
        .execute();
      // The queue: a skill's callbacks in arrival order, walked from the front by dispatch.
      await db.schema.createIndex('callbacks_queue').on('callbacks').columns(['account_id', 'skill_id', 'state', 'queued_at', 'id']).execute();
      await db.schema.createIndex('callbacks_by_created').on('callbacks').columns(['account_id', 'created_at', 'id']).execute();
      // At most one waiting callback per number and skill: a repeat request is recorded on it instead.
      await db.schema
        .createIndex('callbacks_waiting_unique')
        .on('callbacks')
        .columns(['account_id', 'skill_id', 'number'])
        .unique()
        .where(sql.raw<boolean>(WAITING_CALLBACK_STATES))
        .execute();
    },
  };
}
