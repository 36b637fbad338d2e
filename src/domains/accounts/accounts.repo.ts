import type { Executor } from '../../ports/storage.js';
import { parseJson } from '../../kernel/json.js';
import { DEFAULT_LIMITS, type Account, type AccountLimits } from './accounts.model.js';
import { reusable } from '../../ports/reusable-statement.js';

type AccountRow = { id: string; name: string; timezone: string; default_country: string; limits: string; created_at: string };

const toAccount = (row: AccountRow): Account => ({
  ...row,
  limits: { ...DEFAULT_LIMITS, ...parseJson<Partial<AccountLimits>>(row.limits) },
});

/** Read by every rate-limited request (ports/reusable-statement.ts). */
const findById = reusable((db, key: { id: string }) => db.selectFrom('accounts').selectAll().where('id', '=', key.id));

/** Stamps an account's client or service token revoked; false when it is unknown or already revoked. */
async function revoke(db: Executor, table: 'clients' | 'service_tokens', accountId: string, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable(table)
    .set({ revoked_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export function accountsRepo(db: Executor) {
  return {
    async insertAccount(account: Account): Promise<void> {
      await db.insertInto('accounts').values({ ...account, limits: JSON.stringify(account.limits) }).execute();
    },
    async findAccount(id: string): Promise<Account | undefined> {
      const [row] = (await findById(db, { id })).rows;
      return row && toAccount(row);
    },
    async updateLimits(id: string, limits: AccountLimits): Promise<void> {
      await db.updateTable('accounts').set({ limits: JSON.stringify(limits) }).where('id', '=', id).execute();
    },
    async insertClient(row: { account_id: string; id: string; name: string; secret_hash: string; scopes: string[]; created_at: string }) {
      await db.insertInto('clients').values({ ...row, scopes: JSON.stringify(row.scopes), revoked_at: null }).execute();
    },
    findClient(clientId: string) {
      return db
        .selectFrom('clients')
        .select(['account_id', 'id', 'secret_hash', 'scopes', 'revoked_at'])
        .where('id', '=', clientId)
        .executeTakeFirst();
    },
    /** The account's clients in id order after `after`, secrets left out. */
    listClients(accountId: string, after: string | undefined, limit: number) {
      let query = db.selectFrom('clients').select(['id', 'name', 'scopes', 'created_at', 'revoked_at']).where('account_id', '=', accountId);
      if (after !== undefined) query = query.where('id', '>', after);
      return query.orderBy('id').limit(limit).execute();
    },
    async countClients(accountId: string): Promise<number> {
      const row = await db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    revokeClient(accountId: string, id: string, at: string): Promise<boolean> {
      return revoke(db, 'clients', accountId, id, at);
    },
    /** Replaces a client's secret; false when it is unknown or revoked. */
    async replaceClientSecret(accountId: string, id: string, secretHash: string) {
      return db
        .updateTable('clients')
        .set({ secret_hash: secretHash })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .returning(['id', 'scopes'])
        .executeTakeFirst();
    },
    async revokedClientIds(): Promise<string[]> {
      const rows = await db.selectFrom('clients').select('id').where('revoked_at', 'is not', null).execute();
      return rows.map((row) => row.id);
    },
    /** The account's service tokens in id order after `after`, hashes left out. */
    listServiceTokens(accountId: string, after: string | undefined, limit: number) {
      let query = db.selectFrom('service_tokens').select(['id', 'name', 'scopes', 'expires_at', 'created_at', 'revoked_at']).where('account_id', '=', accountId);
      if (after !== undefined) query = query.where('id', '>', after);
      return query.orderBy('id').limit(limit).execute();
    },
    async countServiceTokens(accountId: string): Promise<number> {
      const row = await db.selectFrom('service_tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async insertServiceToken(row: {
      account_id: string; id: string; name: string; token_hash: string; scopes: string[];
      expires_at: string | null; created_at: string;
    }) {
      await db.insertInto('service_tokens').values({ ...row, scopes: JSON.stringify(row.scopes), revoked_at: null }).execute();
    },
    findServiceToken(id: string) {
      return db
        .selectFrom('service_tokens')
        .select(['account_id', 'id', 'token_hash', 'scopes', 'expires_at', 'revoked_at'])
        .where('id', '=', id)
        .executeTakeFirst();
    },
    revokeServiceToken(accountId: string, id: string, at: string): Promise<boolean> {
      return revoke(db, 'service_tokens', accountId, id, at);
    },
  };
}
