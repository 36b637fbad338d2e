import type { Executor } from '../../ports/storage.js';
import type { PhoneNumber } from './numbers.model.js';

const COLUMNS = ['number', 'name', 'inbound_flow_id', 'created_at', 'updated_at'] as const;

export function numbersRepo(db: Executor) {
  return {
    /** False when the account already has the number. */
    async insert(accountId: string, number: PhoneNumber): Promise<boolean> {
      const result = await db
        .insertInto('numbers')
        .values({ account_id: accountId, ...number })
        .onConflict((oc) => oc.columns(['account_id', 'number']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    find(accountId: string, number: string): Promise<PhoneNumber | undefined> {
      return db.selectFrom('numbers').select(COLUMNS).where('account_id', '=', accountId).where('number', '=', number).executeTakeFirst();
    },
    async list(accountId: string, after: string | undefined, limit: number): Promise<PhoneNumber[]> {
      let query = db.selectFrom('numbers').select(COLUMNS).where('account_id', '=', accountId);
      if (after !== undefined) query = query.where('number', '>', after);
      return query.orderBy('number').limit(limit).execute();
    },
    async count(accountId: string): Promise<number> {
      const row = await db.selectFrom('numbers').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** Only what an inbound-call decision needs, for the routing snapshot. */
    routingEntries(accountId: string): Promise<{ number: string; inbound_flow_id: string | null }[]> {
      return db.selectFrom('numbers').select(['number', 'inbound_flow_id']).where('account_id', '=', accountId).execute();
    },
    async update(accountId: string, number: string, patch: Partial<Pick<PhoneNumber, 'name' | 'inbound_flow_id'>>, at: string): Promise<boolean> {
      const result = await db
        .updateTable('numbers')
        .set({ ...patch, updated_at: at })
        .where('account_id', '=', accountId)
        .where('number', '=', number)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async delete(accountId: string, number: string): Promise<boolean> {
      const result = await db.deleteFrom('numbers').where('account_id', '=', accountId).where('number', '=', number).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
