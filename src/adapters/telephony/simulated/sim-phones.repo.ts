import type { Executor } from '../../../ports/storage.js';
import { parseJson } from '../../../kernel/json.js';
import type { PhoneScript } from './phone-script.js';
import { reusable } from '../../../ports/reusable-statement.js';

/** Read at every dial (ports/reusable-statement.ts). */
const findScript = reusable((db, key: { accountId: string; number: string }) =>
  db.selectFrom('sim_phones').select('script').where('account_id', '=', key.accountId).where('number', '=', key.number),
);

export function simPhonesRepo(db: Executor) {
  return {
    async save(accountId: string, number: string, script: PhoneScript, at: string): Promise<void> {
      const values = { script: JSON.stringify(script), updated_at: at };
      await db
        .insertInto('sim_phones')
        .values({ account_id: accountId, number, ...values })
        .onConflict((oc) => oc.columns(['account_id', 'number']).doUpdateSet(values))
        .execute();
    },
    async find(accountId: string, number: string): Promise<PhoneScript | undefined> {
      const [row] = (await findScript(db, { accountId, number })).rows;
      return row && parseJson<PhoneScript>(row.script);
    },
    async delete(accountId: string, number: string): Promise<boolean> {
      const result = await db.deleteFrom('sim_phones').where('account_id', '=', accountId).where('number', '=', number).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
