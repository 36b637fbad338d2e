import type { Migration } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import { types, type AnyDb } from './common.js';

/**
 * Omnichannel messaging: customer profiles (addresses, opt-outs, the app token's hash), messages
 * (their rules, routing state and per-channel status as JSON text), the provider ids each channel
 * gave a message, the account's channel configurations (credentials encrypted by the service),
 * and the app streams open on each node.
 */
export function messaging(dialect: DialectName): Migration {
  const { ts } = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('message_profiles')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('phone_number', 'text')
        .addColumn('email', 'text')
        .addColumn('fb_messenger_id', 'text')
        .addColumn('whatsapp_id', 'text')
        .addColumn('opt_outs', 'text', (c) => c.notNull())
        .addColumn('last_inbound_whatsapp_at', ts)
        .addColumn('app_token_id', 'text')
        .addColumn('app_token_hash', 'text')
        .addColumn('app_token_issued_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('message_profiles_pk', ['account_id', 'id'])
        .execute();
      // An app presents only its token, whose id part finds the profile (as service tokens are found).
      await db.schema.createIndex('message_profiles_app_token').on('message_profiles').column('app_token_id').unique().execute();

      await db.schema
        .createTable('messages')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text')
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('title', 'text')
        .addColumn('custom_body', 'text', (c) => c.notNull())
        .addColumn('channel_options', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('rules', 'text', (c) => c.notNull())
        .addColumn('expires_on', ts)
        .addColumn('routing', 'text', (c) => c.notNull())
        .addColumn('next_rule', 'integer', (c) => c.notNull())
        .addColumn('waiting_rule', 'integer')
        .addColumn('channel', 'text')
        .addColumn('channel_status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('messages_pk', ['account_id', 'id'])
        .execute();
      await db.schema.createIndex('messages_by_created').on('messages').columns(['account_id', 'created_at', 'id']).execute();
      // A profile's messages: the list filter, and the backlog an app receives when it connects.
      await db.schema.createIndex('messages_by_profile').on('messages').columns(['account_id', 'profile_id', 'created_at', 'id']).execute();

      await db.schema
        .createTable('message_deliveries')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('provider', 'text')
        .addColumn('provider_message_id', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('message_deliveries_pk', ['account_id', 'message_id', 'channel', 'provider_message_id'])
        .execute();
      // A provider's status webhook names only its own message id: receipts find their message
      // through this index, which therefore cannot be led by account_id.
      await db.schema.createIndex('message_deliveries_by_provider_id').on('message_deliveries').columns(['channel', 'provider_message_id']).execute();

      await db.schema
        .createTable('channel_configs')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('providers', 'text', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('channel_configs_pk', ['account_id', 'channel'])
        .execute();

      await db.schema
        .createTable('app_sessions')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('node', 'text', (c) => c.notNull())
        .addColumn('seen_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('app_sessions_pk', ['account_id', 'profile_id', 'id'])
        .execute();
    },
  };
}
