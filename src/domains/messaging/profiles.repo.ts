import type { Database, Executor } from '../../ports/storage.js';

export type ProfileRow = Database['message_profiles'];

/** Customer profiles, scoped by account (except the app token lookup, which is how an app names its account). */
export function profilesRepo(db: Executor) {
  return {
    find(accountId: string, id: string): Promise<ProfileRow | undefined> {
      return db.selectFrom('message_profiles').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
    findByAppToken(tokenId: string): Promise<ProfileRow | undefined> {
      return db.selectFrom('message_profiles').selectAll().where('app_token_id', '=', tokenId).executeTakeFirst();
    },
    /**
     * Creates the profile or replaces its addressing data; its app token is kept, and with
     * `keepWindow` so is a stored `last_inbound_whatsapp_at` while the WhatsApp id does not change.
     */
    async upsert(row: ProfileRow, keepWindow: boolean): Promise<void> {
      const { phone_number, email, fb_messenger_id, whatsapp_id, opt_outs, last_inbound_whatsapp_at, updated_at } = row;
      await db
        .insertInto('message_profiles')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['account_id', 'id']).doUpdateSet((eb) => ({
            phone_number, email, fb_messenger_id, whatsapp_id, opt_outs, updated_at,
            last_inbound_whatsapp_at: keepWindow
              ? eb.case().when('message_profiles.whatsapp_id', '=', eb.ref('excluded.whatsapp_id')).then(eb.ref('message_profiles.last_inbound_whatsapp_at')).else(null).end()
              : last_inbound_whatsapp_at,
          })),
        )
        .execute();
    },
    /** The accounts with a profile of one of these WhatsApp ids (an inbound message on the account-less URL names no account). */
    async accountsByWhatsAppId(ids: readonly string[], limit: number): Promise<string[]> {
      const rows = await db.selectFrom('message_profiles').select('account_id').distinct().where('whatsapp_id', 'in', ids).limit(limit).execute();
      return rows.map((row) => row.account_id);
    },
    /** Moves the account's profiles of these WhatsApp ids to a later last inbound message; resolves to how many moved. */
    async recordInboundWhatsApp(accountId: string, ids: readonly string[], at: string, now: string): Promise<number> {
      const result = await db
        .updateTable('message_profiles')
        .set({ last_inbound_whatsapp_at: at, updated_at: now })
        .where('account_id', '=', accountId)
        .where('whatsapp_id', 'in', ids)
        .where((eb) => eb.or([eb('last_inbound_whatsapp_at', 'is', null), eb('last_inbound_whatsapp_at', '<', at)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async remove(accountId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('message_profiles').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    /** Sets (or with nulls, clears) the profile's app token; false when the profile does not exist. */
    async setAppToken(accountId: string, id: string, token: { id: string; hash: string; at: string } | null, at: string): Promise<boolean> {
      const result = await db
        .updateTable('message_profiles')
        .set({ app_token_id: token?.id ?? null, app_token_hash: token?.hash ?? null, app_token_issued_at: token?.at ?? null, updated_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
