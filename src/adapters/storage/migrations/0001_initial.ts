import { type Migration, sql } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import { types, type AnyDb } from './common.js';

/** The predicate of the jobs table's partial indexes; `src/jobs/jobs.repo.ts` repeats it verbatim. */
const LIVE_JOB_STATUSES = "status in ('pending', 'running')";

export function initial(dialect: DialectName): Migration {
  const { ts } = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('default_country', 'text', (c) => c.notNull())
        .addColumn('limits', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('clients')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('revoked_at', ts)
        .addPrimaryKeyConstraint('clients_pk', ['account_id', 'id'])
        .execute();
      await db.schema.createIndex('clients_by_id').on('clients').column('id').execute();

      await db.schema
        .createTable('service_tokens')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('expires_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('revoked_at', ts)
        .addPrimaryKeyConstraint('service_tokens_pk', ['account_id', 'id'])
        .execute();
      await db.schema.createIndex('service_tokens_by_id').on('service_tokens').column('id').execute();

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('response_body', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['account_id', 'route', 'key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_by_age').on('idempotency_keys').column('created_at').execute();

      await db.schema
        .createTable('numbers')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('number', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('inbound_flow_id', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('numbers_pk', ['account_id', 'number'])
        .execute();

      await db.schema
        .createTable('skills')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('callback_strategy', 'text', (c) => c.notNull())
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('retry_delay_s', 'integer', (c) => c.notNull())
        .addColumn('announcements', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('skills_pk', ['account_id', 'id'])
        .addUniqueConstraint('skills_name_unique', ['account_id', 'name'])
        .execute();

      await db.schema
        .createTable('agents')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('phone', 'text')
        .addColumn('status_changed_at', ts, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('agents_pk', ['account_id', 'id'])
        .execute();

      await db.schema
        .createTable('agent_skills')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('skill_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('agent_skills_pk', ['account_id', 'agent_id', 'skill_id'])
        .addForeignKeyConstraint('agent_skills_agent_fk', ['account_id', 'agent_id'], 'agents', ['account_id', 'id'], (c) => c.onDelete('cascade'))
        .addForeignKeyConstraint('agent_skills_skill_fk', ['account_id', 'skill_id'], 'skills', ['account_id', 'id'], (c) => c.onDelete('cascade'))
        .execute();
      await db.schema.createIndex('agent_skills_by_skill').on('agent_skills').columns(['account_id', 'skill_id']).execute();

      await db.schema
        .createTable('groups')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('groups_pk', ['account_id', 'id'])
        .execute();

      await db.schema
        .createTable('group_members')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('group_id', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_members_pk', ['account_id', 'group_id', 'agent_id'])
        .addForeignKeyConstraint('group_members_group_fk', ['account_id', 'group_id'], 'groups', ['account_id', 'id'], (c) => c.onDelete('cascade'))
        .addForeignKeyConstraint('group_members_agent_fk', ['account_id', 'agent_id'], 'agents', ['account_id', 'id'], (c) => c.onDelete('cascade'))
        .execute();

      await db.schema
        .createTable('continuity')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
        .addColumn('forward', 'text', (c) => c.notNull())
        .addColumn('message', 'text')
        .addColumn('settings_updated_at', ts)
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('changed_at', ts)
        .addColumn('changed_by', 'text')
        .execute();

      await db.schema
        .createTable('continuity_audit')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('change', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('continuity_audit_pk', ['account_id', 'id'])
        .execute();

      await db.schema
        .createTable('calls')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('from_number', 'text', (c) => c.notNull())
        .addColumn('to_number', 'text', (c) => c.notNull())
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('ended_at', ts)
        .addColumn('outcome', 'text')
        .addColumn('decision', 'text')
        .addColumn('continuity', 'integer', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('calls_pk', ['account_id', 'id'])
        .execute();
      await db.schema.createIndex('calls_by_start').on('calls').columns(['account_id', 'started_at', 'id']).execute();

      await db.schema
        .createTable('sim_phones')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('number', 'text', (c) => c.notNull())
        .addColumn('script', 'text', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('sim_phones_pk', ['account_id', 'number'])
        .execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('dedupe_key', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('run_at', ts, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', ts)
        .addColumn('last_error', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      // Finished jobs are deleted and failed ones are left out, so the claim query walks only live
      // jobs in run_at order. Both predicates are literal: the claim repeats them word for word so
      // PostgreSQL and SQLite can prove the partial index applies.
      await db.schema
        .createIndex('jobs_live_by_run_at')
        .on('jobs')
        .column('run_at')
        .where(sql.raw<boolean>(LIVE_JOB_STATUSES))
        .execute();
      // A dedupe key names at most one live job; a failed job no longer holds its key, so a
      // recurring singleton that failed can be scheduled again.
      await db.schema
        .createIndex('jobs_live_dedupe')
        .on('jobs')
        .columns(['account_id', 'dedupe_key'])
        .unique()
        .where(sql.raw<boolean>(LIVE_JOB_STATUSES))
        .execute();
    },
  };
}

/** Callback requests, and what kind of call (and for which skill) a call-log entry is. */
