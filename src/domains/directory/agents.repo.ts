import type { Executor } from '../../ports/storage.js';
import type { Agent, AgentFilters, AgentStatus } from './agents.model.js';

const COLUMNS = ['id', 'name', 'email', 'status', 'phone', 'status_changed_at', 'created_at', 'updated_at'] as const;

/** An agent as its row holds it: skills live in agent_skills. */
export type AgentRow = Omit<Agent, 'skills'>;

type StoredRow = Omit<AgentRow, 'status'> & { status: string };

const toRow = (row: StoredRow): AgentRow => ({ ...row, status: row.status as AgentStatus });

/** Code-unit order, so both databases list an agent's skills the same way whatever their collation. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function filtered(db: Executor, accountId: string, filters: AgentFilters) {
  let query = db.selectFrom('agents').where('agents.account_id', '=', accountId);
  if (filters.status !== undefined) query = query.where('agents.status', '=', filters.status);
  const skill = filters.skill;
  if (skill !== undefined) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('agent_skills')
          .innerJoin('skills', (join) => join.onRef('skills.account_id', '=', 'agent_skills.account_id').onRef('skills.id', '=', 'agent_skills.skill_id'))
          .select('agent_skills.agent_id')
          .whereRef('agent_skills.account_id', '=', 'agents.account_id')
          .whereRef('agent_skills.agent_id', '=', 'agents.id')
          .where('skills.name', '=', skill),
      ),
    );
  }
  return query;
}

export interface AgentRowPatch {
  name?: string | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  status?: AgentStatus | undefined;
}

export function agentsRepo(db: Executor) {
  return {
    async insert(accountId: string, agent: AgentRow): Promise<void> {
      await db.insertInto('agents').values({ account_id: accountId, ...agent }).execute();
    },
    async find(accountId: string, id: string): Promise<AgentRow | undefined> {
      const row = await db.selectFrom('agents').select(COLUMNS).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return row && toRow(row);
    },
    async list(accountId: string, filters: AgentFilters, after: string | undefined, limit: number): Promise<AgentRow[]> {
      let query = filtered(db, accountId, filters).select(COLUMNS.map((c) => `agents.${c}` as const));
      if (after !== undefined) query = query.where('agents.id', '>', after);
      const rows = await query.orderBy('agents.id').limit(limit).execute();
      return rows.map(toRow);
    },
    async count(accountId: string, filters: AgentFilters): Promise<number> {
      const row = await filtered(db, accountId, filters).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** Skill names per agent, for the given agents of the account. */
    async skillNames(accountId: string, agentIds: readonly string[]): Promise<Map<string, string[]>> {
      const names = new Map<string, string[]>(agentIds.map((id) => [id, []]));
      if (agentIds.length === 0) return names;
      const rows = await db
        .selectFrom('agent_skills')
        .innerJoin('skills', (join) => join.onRef('skills.account_id', '=', 'agent_skills.account_id').onRef('skills.id', '=', 'agent_skills.skill_id'))
        .select(['agent_skills.agent_id', 'skills.name'])
        .where('agent_skills.account_id', '=', accountId)
        .where('agent_skills.agent_id', 'in', agentIds)
        .execute();
      for (const row of rows) names.get(row.agent_id)?.push(row.name);
      for (const list of names.values()) list.sort(byCodeUnits);
      return names;
    },
    async skillIds(accountId: string, agentId: string): Promise<string[]> {
      const rows = await db.selectFrom('agent_skills').select('skill_id').where('account_id', '=', accountId).where('agent_id', '=', agentId).execute();
      return rows.map((row) => row.skill_id);
    },
    /** Moves a busy agent to `status`; false when they were not busy (someone changed their status meanwhile). */
    async leaveBusy(accountId: string, id: string, status: AgentStatus, at: string): Promise<boolean> {
      const result = await db
        .updateTable('agents')
        .set({ status, status_changed_at: at, updated_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('status', '=', 'busy')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /** Replaces the agent's skills. */
    async setSkills(accountId: string, agentId: string, skillIds: readonly string[]): Promise<void> {
      await db.deleteFrom('agent_skills').where('account_id', '=', accountId).where('agent_id', '=', agentId).execute();
      if (skillIds.length === 0) return;
      await db
        .insertInto('agent_skills')
        .values(skillIds.map((skillId) => ({ account_id: accountId, agent_id: agentId, skill_id: skillId })))
        .execute();
    },
    /** status_changed_at moves only when the status really changes, in the same statement. */
    async update(accountId: string, id: string, patch: AgentRowPatch, at: string): Promise<boolean> {
      const { status, ...rest } = patch;
      const result = await db
        .updateTable('agents')
        .set((eb) => ({
          ...rest,
          ...(status !== undefined
            ? { status, status_changed_at: eb.case().when('status', '<>', status).then(at).else(eb.ref('status_changed_at')).end() }
            : {}),
          updated_at: at,
        }))
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async delete(accountId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('agents').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    /** Which of `ids` are agents of the account. */
    async existingIds(accountId: string, ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db.selectFrom('agents').select('id').where('account_id', '=', accountId).where('id', 'in', ids).execute();
      return new Set(rows.map((row) => row.id));
    },
  };
}
