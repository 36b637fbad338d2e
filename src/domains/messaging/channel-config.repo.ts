import type { Database, Executor } from '../../ports/storage.js';

export type ChannelConfigRow = Database['channel_configs'];

/** A provider as stored: its credentials sealed by `CredentialsCipher`, their names kept apart for reading back. */
export interface StoredProvider {
  name: string;
  base_url: string;
  settings: Record<string, string | number | boolean>;
  credential_names: string[];
  credentials: string;
}

/** The account's channel configurations, scoped by account. */
export function channelConfigRepo(db: Executor) {
  return {
    find(accountId: string, channel: string): Promise<ChannelConfigRow | undefined> {
      return db.selectFrom('channel_configs').selectAll().where('account_id', '=', accountId).where('channel', '=', channel).executeTakeFirst();
    },
    all(accountId: string): Promise<ChannelConfigRow[]> {
      return db.selectFrom('channel_configs').selectAll().where('account_id', '=', accountId).execute();
    },
    async upsert(row: ChannelConfigRow): Promise<void> {
      await db
        .insertInto('channel_configs')
        .values(row)
        .onConflict((oc) => oc.columns(['account_id', 'channel']).doUpdateSet({ providers: row.providers, updated_at: row.updated_at }))
        .execute();
    },
    /** The configuration changed last, of any account: a sample of what the credentials key must open. Across accounts on purpose (a node-wide check). */
    latest(): Promise<ChannelConfigRow | undefined> {
      return db.selectFrom('channel_configs').selectAll().where('providers', '!=', '[]').orderBy('updated_at', 'desc').limit(1).executeTakeFirst();
    },
    async remove(accountId: string, channel: string): Promise<boolean> {
      const result = await db.deleteFrom('channel_configs').where('account_id', '=', accountId).where('channel', '=', channel).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
