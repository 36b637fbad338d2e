import type { Executor } from '../../ports/storage.js';
import type { Group } from './groups.model.js';

const COLUMNS = ['id', 'name', 'created_at', 'updated_at'] as const;

/** A group as its row holds it: members live in group_members. */
export type GroupRow = Omit<Group, 'agent_ids'>;

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function groupsRepo(db: Executor) {
  return {
    async insert(accountId: string, group: GroupRow): Promise<void> {
      await db.insertInto('groups').values({ account_id: accountId, ...group }).execute();
    },
    find(accountId: string, id: string): Promise<GroupRow | undefined> {
      return db.selectFrom('groups').select(COLUMNS).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
    list(accountId: string, after: string | undefined, limit: number): Promise<GroupRow[]> {
      let query = db.selectFrom('groups').select(COLUMNS).where('account_id', '=', accountId);
      if (after !== undefined) query = query.where('id', '>', after);
      return query.orderBy('id').limit(limit).execute();
    },
    async count(accountId: string): Promise<number> {
      const row = await db.selectFrom('groups').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** Member agent ids per group, for the given groups of the account. */
    async members(accountId: string, groupIds: readonly string[]): Promise<Map<string, string[]>> {
      const members = new Map<string, string[]>(groupIds.map((id) => [id, []]));
      if (groupIds.length === 0) return members;
      const rows = await db
        .selectFrom('group_members')
        .select(['group_id', 'agent_id'])
        .where('account_id', '=', accountId)
        .where('group_id', 'in', groupIds)
        .execute();
      for (const row of rows) members.get(row.group_id)?.push(row.agent_id);
      for (const list of members.values()) list.sort(byCodeUnits);
      return members;
    },
    /** Replaces the group's members. */
    async setMembers(accountId: string, groupId: string, agentIds: readonly string[]): Promise<void> {
      await db.deleteFrom('group_members').where('account_id', '=', accountId).where('group_id', '=', groupId).execute();
      if (agentIds.length === 0) return;
      await db
        .insertInto('group_members')
        .values(agentIds.map((agentId) => ({ account_id: accountId, group_id: groupId, agent_id: agentId })))
        .execute();
    },
    async update(accountId: string, id: string, patch: { name?: string | undefined }, at: string): Promise<boolean> {
      const result = await db
        .updateTable('groups')
        .set({ ...patch, updated_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async delete(accountId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('groups').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
