import type { Migration } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import { types, type AnyDb } from './common.js';

/**
 * Outbound webhooks: the account's endpoints (their signing secret sealed by the service), the
 * events published to at least one of them (`data` is JSON text), and one delivery per event and
 * endpoint with its attempts (JSON text) and when it is tried next. Events and deliveries are
 * purged 30 days after the event.
 */
export function webhooks(dialect: DialectName): Migration {
  const { ts } = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('disabled_reason', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('webhook_endpoints_pk', ['account_id', 'id'])
        .execute();

      await db.schema
        .createTable('webhook_events')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('webhook_events_pk', ['account_id', 'id'])
        .execute();
      // The retention purge walks every account's old events by age, as the idempotency purge does.
      await db.schema.createIndex('webhook_events_by_age').on('webhook_events').column('created_at').execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'text', (c) => c.notNull())
        .addColumn('next_attempt_at', ts)
        .addColumn('failure_reason', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('webhook_deliveries_pk', ['account_id', 'id'])
        .execute();
      // An endpoint's deliveries, newest first (the list), and its pending ones (cancelled with it).
      await db.schema.createIndex('webhook_deliveries_by_endpoint').on('webhook_deliveries').columns(['account_id', 'endpoint_id', 'id']).execute();
      await db.schema.createIndex('webhook_deliveries_by_age').on('webhook_deliveries').column('created_at').execute();
    },
  };
}
