import type { Executor } from '../../ports/storage.js';
import type { CaseStatus, StatusCategory } from './cases.model.js';

const COLUMNS = ['id', 'name', 'category', 'active'] as const;

const toStatus = (row: { id: string; name: string; category: string; active: number }): CaseStatus => ({
  id: row.id, name: row.name, category: row.category as StatusCategory, active: Number(row.active) === 1, built_in: false,
});

/** How names are compared: case-insensitively, ignoring surrounding spaces. */
export const nameKey = (name: string): string => name.trim().toLowerCase();

/** The account's custom statuses; the built-in ones are not rows. */
export function statusesRepo(db: Executor) {
  return {
    async insert(accountId: string, status: CaseStatus, at: string): Promise<void> {
      await db
        .insertInto('case_statuses')
        .values({
          account_id: accountId, id: status.id, name: status.name, name_key: nameKey(status.name), category: status.category,
          active: status.active ? 1 : 0, created_at: at, updated_at: at,
        })
        .execute();
    },
    async all(accountId: string): Promise<CaseStatus[]> {
      const rows = await db.selectFrom('case_statuses').select(COLUMNS).where('account_id', '=', accountId).orderBy('id').execute();
      return rows.map(toStatus);
    },
    async find(accountId: string, id: string): Promise<CaseStatus | undefined> {
      const row = await db.selectFrom('case_statuses').select(COLUMNS).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return row && toStatus(row);
    },
    async findByName(accountId: string, name: string): Promise<CaseStatus | undefined> {
      const row = await db
        .selectFrom('case_statuses').select(COLUMNS).where('account_id', '=', accountId).where('name_key', '=', nameKey(name)).executeTakeFirst();
      return row && toStatus(row);
    },
    async update(accountId: string, id: string, patch: { name?: string | undefined; active?: boolean | undefined }, at: string): Promise<void> {
      await db
        .updateTable('case_statuses')
        .set({
          ...(patch.name !== undefined ? { name: patch.name, name_key: nameKey(patch.name) } : {}),
          ...(patch.active !== undefined ? { active: patch.active ? 1 : 0 } : {}),
          updated_at: at,
        })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .execute();
    },
  };
}
