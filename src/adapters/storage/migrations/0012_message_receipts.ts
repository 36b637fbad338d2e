import type { Migration } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import { types, type AnyDb } from './common.js';

/**
 * Receipts that arrive before their send is recorded (the provider's status webhook overtook our
 * write of its message id) are kept for a few minutes with the request that carried them, so the
 * send can apply them once it records the id and the request verifies with the message's
 * provider; and profiles are found by WhatsApp id, so a customer's inbound WhatsApp message opens
 * the 24-hour window of the account's profiles that carry that id.
 */
export function messageReceipts(dialect: DialectName): Migration {
  const { ts } = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('message_pending_receipts')
        // The account of an account-scoped callback URL (verified on arrival), or '' (not verified yet).
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('provider_message_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reported_at', ts, (c) => c.notNull())
        .addColumn('details', 'text')
        .addColumn('raw_body', 'text', (c) => c.notNull())
        .addColumn('headers', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('message_pending_receipts_pk', ['account_id', 'id'])
        .execute();
      // Found by the provider's id when the send records it (across accounts, as message_deliveries is).
      await db.schema.createIndex('message_pending_receipts_by_provider_id').on('message_pending_receipts').columns(['channel', 'provider_message_id']).execute();
      // The per-account (or unverified) bound, and the age purge of a channel.
      await db.schema.createIndex('message_pending_receipts_by_scope').on('message_pending_receipts').columns(['account_id', 'channel', 'created_at']).execute();
      await db.schema.createIndex('message_pending_receipts_by_age').on('message_pending_receipts').columns(['channel', 'created_at']).execute();

      // An inbound WhatsApp message names the customer's WhatsApp id and no profile; on the
      // account-less callback URL it names no account either, hence whatsapp_id first.
      await db.schema.createIndex('message_profiles_by_whatsapp_id').on('message_profiles').columns(['whatsapp_id', 'account_id']).execute();
    },
  };
}
