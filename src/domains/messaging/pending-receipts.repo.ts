import { sql } from 'kysely';
import type { Database, DialectName, Executor } from '../../ports/storage.js';
import { messagesRepo, type DeliveryRow } from './messaging.repo.js';

export type PendingReceiptRow = Database['message_pending_receipts'];

const lockKey = (channel: string, providerMessageId: string) => `message_receipt:${channel}:${providerMessageId}`;

/** The `account_id` of a receipt that came on the account-less callback URL: nothing verified it yet. */
export const UNVERIFIED = '';

/** Receipts waiting for their send to be recorded; found across accounts by the provider's id, as deliveries are. */
export function pendingReceiptsRepo(db: Executor, dialect: DialectName) {
  return {
    /**
     * Serialises, until the transaction ends, the send recording a provider id and a webhook
     * holding a receipt for it, so one of the two always sees the other. PostgreSQL only: SQLite
     * runs one writing transaction at a time.
     */
    async lock(channel: string, providerMessageId: string): Promise<void> {
      if (dialect !== 'postgres') return;
      await sql`select pg_advisory_xact_lock(hashtextextended(${lockKey(channel, providerMessageId)}, 0))`.execute(db);
    },
    /**
     * Records a send's provider id (its delivery) after taking `lock`'s lock, in one statement on
     * PostgreSQL: the row comes out of the lock's subquery, so it is written only once the lock is
     * held. What the transaction reads next is read after the lock, as it must be (`find`).
     */
    async recordDelivery(row: DeliveryRow): Promise<void> {
      if (dialect !== 'postgres') return messagesRepo(db, dialect).insertDelivery(row);
      await sql`insert into message_deliveries (account_id, message_id, channel, provider, provider_message_id, address, created_at)
        select ${row.account_id}::text, ${row.message_id}::text, ${row.channel}::text, ${row.provider}::text, ${row.provider_message_id}::text, ${row.address}::text, ${row.created_at}::timestamptz
        from (select pg_advisory_xact_lock(hashtextextended(${lockKey(row.channel, row.provider_message_id)}, 0))) as receipt_lock
        on conflict do nothing`.execute(db);
    },
    async insert(row: PendingReceiptRow): Promise<void> {
      await db.insertInto('message_pending_receipts').values(row).execute();
    },
    async count(accountId: string, channel: string): Promise<number> {
      const row = await db
        .selectFrom('message_pending_receipts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('channel', '=', channel)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** Drops the channel's receipts held since before `before`, whatever their account. */
    async purge(channel: string, before: string): Promise<void> {
      await db.deleteFrom('message_pending_receipts').where('channel', '=', channel).where('created_at', '<', before).execute();
    },
    /** Receipts held since `since` for a provider id, of the given accounts (or unverified), oldest first. */
    find(channel: string, providerMessageId: string, accountIds: readonly string[], since: string): Promise<PendingReceiptRow[]> {
      return db
        .selectFrom('message_pending_receipts')
        .selectAll()
        .where('channel', '=', channel)
        .where('provider_message_id', '=', providerMessageId)
        .where('account_id', 'in', accountIds)
        .where('created_at', '>=', since)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    /** Takes one receipt out; false when another transaction already took it. */
    async remove(accountId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('message_pending_receipts').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
