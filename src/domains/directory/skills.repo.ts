import type { Executor } from '../../ports/storage.js';
import { parseJson } from '../../kernel/json.js';
import type { Announcements, CallbackStrategy, Skill, SkillSettings } from './skills.model.js';

const COLUMNS = ['id', 'name', 'callback_strategy', 'language', 'max_attempts', 'retry_delay_s', 'announcements', 'created_at', 'updated_at'] as const;

type SkillRow = { [K in (typeof COLUMNS)[number]]: K extends 'max_attempts' | 'retry_delay_s' ? number : string };

const toSkill = (row: SkillRow): Skill => ({
  ...row,
  callback_strategy: row.callback_strategy as CallbackStrategy,
  announcements: parseJson<Announcements>(row.announcements),
});

export type SkillPatch = Partial<Pick<Skill, 'name'> & SkillSettings>;

export function skillsRepo(db: Executor) {
  return {
    /** False when the account already has a skill with this exact name. */
    async insert(accountId: string, skill: Skill): Promise<boolean> {
      const result = await db
        .insertInto('skills')
        .values({ account_id: accountId, ...skill, announcements: JSON.stringify(skill.announcements) })
        .onConflict((oc) => oc.columns(['account_id', 'name']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    async find(accountId: string, id: string): Promise<Skill | undefined> {
      const row = await db.selectFrom('skills').select(COLUMNS).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return row && toSkill(row);
    },
    async findByName(accountId: string, name: string): Promise<Skill | undefined> {
      const row = await db.selectFrom('skills').select(COLUMNS).where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
      return row && toSkill(row);
    },
    /** Ids of the named skills that exist; names missing from the map are not skills of the account. */
    async idsByName(accountId: string, names: readonly string[]): Promise<Map<string, string>> {
      if (names.length === 0) return new Map();
      const rows = await db.selectFrom('skills').select(['id', 'name']).where('account_id', '=', accountId).where('name', 'in', names).execute();
      return new Map(rows.map((row) => [row.name, row.id]));
    },
    async names(accountId: string): Promise<string[]> {
      const rows = await db.selectFrom('skills').select('name').where('account_id', '=', accountId).execute();
      return rows.map((row) => row.name);
    },
    async list(accountId: string, after: string | undefined, limit: number): Promise<Skill[]> {
      let query = db.selectFrom('skills').select(COLUMNS).where('account_id', '=', accountId);
      if (after !== undefined) query = query.where('id', '>', after);
      const rows = await query.orderBy('id').limit(limit).execute();
      return rows.map(toSkill);
    },
    async count(accountId: string): Promise<number> {
      const row = await db.selectFrom('skills').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async update(accountId: string, id: string, patch: SkillPatch, at: string): Promise<boolean> {
      const { announcements, ...rest } = patch;
      const result = await db
        .updateTable('skills')
        .set({ ...rest, ...(announcements ? { announcements: JSON.stringify(announcements) } : {}), updated_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async delete(accountId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('skills').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
