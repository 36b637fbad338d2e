import { reusable } from '../../ports/reusable-statement.js';
import type { Database, DialectName, Executor } from '../../ports/storage.js';
import { parseJson } from '../../kernel/json.js';
import type { ChannelId } from '../../ports/message-channels.js';
import type { Attempt, ChannelStates, Message, MessageFilters, MessageStatus, Recipient, Routing, RuleInput } from './messaging.model.js';

export type MessageRow = Database['messages'];
export type DeliveryRow = Database['message_deliveries'];

export function toMessage(row: MessageRow): Message {
  return {
    accountId: row.account_id,
    id: row.id,
    status: row.status as MessageStatus,
    profileId: row.profile_id,
    to: parseJson<Recipient>(row.recipient),
    body: row.body,
    title: row.title,
    customBody: parseJson<Message['customBody']>(row.custom_body),
    channelOptions: parseJson<Message['channelOptions']>(row.channel_options),
    metadata: parseJson<Record<string, unknown>>(row.metadata),
    rules: parseJson<RuleInput[]>(row.rules),
    expiresOn: row.expires_on,
    routing: row.routing as Routing,
    nextRule: Number(row.next_rule),
    waitingRule: row.waiting_rule === null ? null : Number(row.waiting_rule),
    channel: row.channel as ChannelId | null,
    channelStatus: parseJson<ChannelStates>(row.channel_status),
    attempts: parseJson<Attempt[]>(row.attempts),
    createdOn: row.created_at,
    updatedOn: row.updated_at,
  };
}

/** The columns a change of a message's state writes. */
export type MessageChange = Pick<MessageRow, 'status' | 'routing' | 'next_rule' | 'waiting_rule' | 'channel' | 'channel_status' | 'attempts' | 'updated_at'>;

function filtered(db: Executor, accountId: string, filters: MessageFilters) {
  let query = db.selectFrom('messages').where('account_id', '=', accountId);
  if (filters.status !== undefined) query = query.where('status', '=', filters.status);
  if (filters.channel !== undefined) query = query.where('channel', '=', filters.channel);
  if (filters.profileId !== undefined) query = query.where('profile_id', '=', filters.profileId);
  if (filters.created_from !== undefined) query = query.where('created_at', '>=', filters.created_from);
  if (filters.created_to !== undefined) query = query.where('created_at', '<', filters.created_to);
  return query;
}

/** A send and its message as it is now. */
export interface DeliveredMessage {
  delivery: DeliveryRow;
  message: MessageRow;
}

const deliveriesWithMessages = (db: Executor) =>
  db
    .selectFrom('message_deliveries as d')
    .innerJoin('messages as m', (join) => join.onRef('m.account_id', '=', 'd.account_id').onRef('m.id', '=', 'd.message_id'))
    .selectAll('m')
    .select(['d.channel as d_channel', 'd.provider as d_provider', 'd.provider_message_id as d_provider_message_id', 'd.address as d_address', 'd.created_at as d_created_at']);

function toDelivered(row: MessageRow & { d_channel: string; d_provider: string | null; d_provider_message_id: string; d_address: string | null; d_created_at: string }): DeliveredMessage {
  const { d_channel: channel, d_provider: provider, d_provider_message_id: providerMessageId, d_address: address, d_created_at: createdAt, ...message } = row;
  return {
    delivery: { account_id: message.account_id, message_id: message.id, channel, provider, provider_message_id: providerMessageId, address, created_at: createdAt },
    message,
  };
}

// The statements every send runs, each built once (ports/reusable-statement.ts).
type MessageKey = { accountId: string; id: string };
const insertMessage = reusable((db, row: MessageRow) => db.insertInto('messages').values(row));
const findMessage = reusable((db, key: MessageKey) => db.selectFrom('messages').selectAll().where('account_id', '=', key.accountId).where('id', '=', key.id));
const findMessageLocked = reusable((db, key: MessageKey) => db.selectFrom('messages').selectAll().where('account_id', '=', key.accountId).where('id', '=', key.id).forUpdate());
const changeColumns = (v: MessageChange) => ({
  status: v.status, routing: v.routing, next_rule: v.next_rule, waiting_rule: v.waiting_rule, channel: v.channel,
  channel_status: v.channel_status, attempts: v.attempts, updated_at: v.updated_at,
});
const updateMessage = reusable((db, v: MessageKey & MessageChange) => db.updateTable('messages').set(changeColumns(v)).where('account_id', '=', v.accountId).where('id', '=', v.id));
const updateMessageIfAt = reusable((db, v: MessageKey & MessageChange & { seen: string }) =>
  db.updateTable('messages').set(changeColumns(v)).where('account_id', '=', v.accountId).where('id', '=', v.id).where('updated_at', '=', v.seen),
);
const insertDeliveryOnce = reusable((db, row: DeliveryRow) => db.insertInto('message_deliveries').values(row).onConflict((oc) => oc.doNothing()));

/** Messages and the provider ids they were accepted under, scoped by account. */
export function messagesRepo(db: Executor, dialect: DialectName) {
  return {
    async insert(row: MessageRow): Promise<void> {
      await insertMessage(db, row);
    },
    async find(accountId: string, id: string): Promise<MessageRow | undefined> {
      return (await findMessage(db, { accountId, id })).rows[0];
    },
    /** The row, locked against other nodes' changes until the transaction ends (SQLite serialises writers already). */
    async findForUpdate(accountId: string, id: string): Promise<MessageRow | undefined> {
      return (await (dialect === 'postgres' ? findMessageLocked : findMessage)(db, { accountId, id })).rows[0];
    },
    async update(accountId: string, id: string, change: MessageChange): Promise<void> {
      await updateMessage(db, { accountId, id, ...change });
    },
    /** Writes the change only if the row is still at `updatedAt` (every change moves it forward); false when it is not. */
    async updateIfUnchanged(accountId: string, id: string, updatedAt: string, change: MessageChange): Promise<boolean> {
      const result = await updateMessageIfAt(db, { accountId, id, ...change, seen: updatedAt });
      return result.numAffectedRows === 1n;
    },
    async list(accountId: string, filters: MessageFilters, after: [string, string] | undefined, limit: number): Promise<MessageRow[]> {
      let query = filtered(db, accountId, filters).selectAll();
      if (after) {
        const [createdAt, id] = after;
        query = query.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
      }
      return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    },
    async count(accountId: string, filters: MessageFilters): Promise<number> {
      const row = await filtered(db, accountId, filters).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** The profile's messages created since `since`, oldest first (what an app that connects may still be owed). */
    recentOfProfile(accountId: string, profileId: string, since: string, limit: number): Promise<MessageRow[]> {
      return db
        .selectFrom('messages')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('profile_id', '=', profileId)
        .where('created_at', '>=', since)
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
    },
    async insertDelivery(row: DeliveryRow): Promise<void> {
      await insertDeliveryOnce(db, row);
    },
    /** The messages a provider's id names on a channel: across accounts, since a webhook names no account. */
    byProviderId(channel: ChannelId, providerMessageId: string): Promise<DeliveryRow[]> {
      return db.selectFrom('message_deliveries').selectAll().where('channel', '=', channel).where('provider_message_id', '=', providerMessageId).execute();
    },
    /** `byProviderId` with each delivery's message, read without a lock in the same statement (what a receipt starts from). */
    async deliveredByProviderId(channel: ChannelId, providerMessageId: string): Promise<DeliveredMessage[]> {
      const rows = await deliveriesWithMessages(db).where('d.channel', '=', channel).where('d.provider_message_id', '=', providerMessageId).execute();
      return rows.map(toDelivered);
    },
    /** The newest `limit` sends on a channel to `address` from `since` until `until` (both included), with their messages, in any account. */
    async deliveredTo(channel: ChannelId, address: string, since: string, until: string, limit: number): Promise<DeliveredMessage[]> {
      const rows = await deliveriesWithMessages(db)
        .where('d.channel', '=', channel)
        .where('d.address', '=', address)
        .where('d.created_at', '>=', since)
        .where('d.created_at', '<=', until)
        .orderBy('d.created_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toDelivered);
    },
  };
}
