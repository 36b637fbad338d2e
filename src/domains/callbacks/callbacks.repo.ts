import { sql } from 'kysely';
import type { Database, DialectName, Executor } from '../../ports/storage.js';
import { parseJson } from '../../kernel/json.js';
import { callbackSchema } from './callbacks.schema.js';
import { WAITING_STATES, type Attempt, type Callback, type CallbackFilters, type CallbackState } from './callbacks.model.js';

export type CallbackRow = Database['callbacks'];

/** The partial index's predicate word for word (migration 0003), so both dialects use it. */
const HOLDING_AGENT = sql<boolean>`state in ('reserved', 'dialing', 'connected')`;

export const toCallback = (row: CallbackRow): Callback => ({
  id: row.id,
  skill: row.skill,
  skill_id: row.skill_id,
  callback_number: row.number,
  state: row.state as CallbackState,
  agent_id: row.agent_id,
  attempts: parseJson<Attempt[]>(row.attempts),
  requests: Number(row.requests),
  last_requested_at: row.last_requested_at,
  queued_at: row.queued_at,
  next_attempt_at: row.next_attempt_at,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

/** The callback as the API shows it (`GET /callbacks/{id}`, without the internal skill id): the data of its webhook events. */
export const toCallbackEvent = (row: CallbackRow): Record<string, unknown> => callbackSchema.parse(toCallback(row));

/** What a state change writes besides the state; omitted fields keep their value. */
export type CallbackChange = Partial<Pick<CallbackRow, 'agent_id' | 'attempts' | 'queued_at' | 'next_attempt_at' | 'dialing_since' | 'accepted_at' | 'customer_call_id'>>;

/** The list filters with the skill resolved: by the skill's id (a current skill), or by the name a deleted skill last had. */
export type CallbackQuery = Omit<CallbackFilters, 'skill'> & { skillId?: string | undefined; deletedSkill?: string | undefined };

function filtered(db: Executor, accountId: string, filters: CallbackQuery) {
  let query = db.selectFrom('callbacks').where('account_id', '=', accountId);
  if (filters.skillId !== undefined) query = query.where('skill_id', '=', filters.skillId);
  if (filters.deletedSkill !== undefined) {
    const skills = db.selectFrom('skills').select('id').where('account_id', '=', accountId);
    query = query.where('skill', '=', filters.deletedSkill).where('skill_id', 'not in', skills);
  }
  if (filters.state !== undefined) query = query.where('state', '=', filters.state);
  if (filters.created_from !== undefined) query = query.where('created_at', '>=', filters.created_from);
  if (filters.created_to !== undefined) query = query.where('created_at', '<', filters.created_to);
  return query;
}

/** Callback rows, scoped by account. `locking` rows are taken FOR UPDATE SKIP LOCKED on PostgreSQL. */
export function callbacksRepo(db: Executor, dialect: DialectName) {
  const lock = <Q extends { forUpdate(): { skipLocked(): Q } }>(query: Q): Q => (dialect === 'postgres' ? query.forUpdate().skipLocked() : query);
  return {
    /** The skill's callbacks take its new name (the name a deleted skill's callbacks are found by). */
    async renameSkill(accountId: string, skillId: string, name: string): Promise<void> {
      await db.updateTable('callbacks').set({ skill: name }).where('account_id', '=', accountId).where('skill_id', '=', skillId).execute();
    },
    /** The state of a callback the agent is held for or on (reserved, dialing, connected), if any. */
    async agentOnCallback(accountId: string, agentId: string): Promise<CallbackRow['state'] | undefined> {
      const row = await db.selectFrom('callbacks').select('state').where('account_id', '=', accountId).where('agent_id', '=', agentId).where(HOLDING_AGENT).limit(1).executeTakeFirst();
      return row?.state;
    },
    /** False when a callback for the same skill and number is still waiting (the partial unique index). */
    async insertWaiting(row: CallbackRow): Promise<boolean> {
      const result = await db.insertInto('callbacks').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    /** Counts a repeat request on the waiting callback for this skill and number; false when none waits any more. */
    async recordRepeat(accountId: string, skillId: string, number: string, at: string): Promise<boolean> {
      const result = await db
        .updateTable('callbacks')
        .set((eb) => ({ requests: eb('requests', '+', 1), last_requested_at: at, updated_at: at }))
        .where('account_id', '=', accountId)
        .where('skill_id', '=', skillId)
        .where('number', '=', number)
        .where('state', 'in', WAITING_STATES)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    find(accountId: string, id: string): Promise<CallbackRow | undefined> {
      return db.selectFrom('callbacks').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
    /** The row, locked against other nodes' changes until the transaction ends. */
    findForUpdate(accountId: string, id: string): Promise<CallbackRow | undefined> {
      const query = db.selectFrom('callbacks').selectAll().where('account_id', '=', accountId).where('id', '=', id);
      return (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
    },
    async list(accountId: string, filters: CallbackQuery, after: [string, string] | undefined, limit: number): Promise<CallbackRow[]> {
      let query = filtered(db, accountId, filters).selectAll();
      if (after) {
        const [createdAt, id] = after;
        query = query.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
      }
      return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    },
    async count(accountId: string, filters: CallbackQuery): Promise<number> {
      const row = await filtered(db, accountId, filters).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** Moves the callback from `from` to `to`; false when it was no longer in `from` (another node or request won). */
    async transition(accountId: string, id: string, from: CallbackState, to: CallbackState, change: CallbackChange, at: string): Promise<boolean> {
      const result = await db
        .updateTable('callbacks')
        .set({ ...change, state: to, updated_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('state', '=', from)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /**
     * Starts dialling a reserved (or front-of-queue) callback on the call-log entry
     * `customerCallId`; undefined when its dial already started, so a job that runs again never
     * dials the customer a second time unawares.
     */
    claimDial(accountId: string, id: string, customerCallId: string, at: string): Promise<CallbackRow | undefined> {
      return db
        .updateTable('callbacks')
        .set({ state: 'dialing', dialing_since: at, customer_call_id: customerCallId, updated_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('state', 'in', ['reserved', 'dialing'])
        .where('dialing_since', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
    /** The front of the skill's queue among callbacks due now, skipping rows another node holds. */
    nextQueued(accountId: string, skillId: string, now: string): Promise<CallbackRow | undefined> {
      return lock(
        db
          .selectFrom('callbacks')
          .selectAll()
          .where('account_id', '=', accountId)
          .where('skill_id', '=', skillId)
          .where('state', '=', 'queued')
          .where('next_attempt_at', '<=', now)
          .orderBy('queued_at')
          .orderBy('id')
          .limit(1),
      ).executeTakeFirst();
    },
    /** The customer who has waited longest on the line for an agent (wait_in_queue, pressed 1). */
    nextHolding(accountId: string, skillId: string): Promise<CallbackRow | undefined> {
      return lock(
        db
          .selectFrom('callbacks')
          .selectAll()
          .where('account_id', '=', accountId)
          .where('skill_id', '=', skillId)
          .where('state', '=', 'dialing')
          .where('accepted_at', 'is not', null)
          .where('agent_id', 'is', null)
          .orderBy('accepted_at')
          .orderBy('id')
          .limit(1),
      ).executeTakeFirst();
    },
    /** Cancels the callbacks of a deleted skill still waiting in its queue; they can never be dispatched. */
    async cancelQueuedOfSkill(accountId: string, skillId: string, at: string): Promise<number> {
      const result = await db
        .updateTable('callbacks')
        .set({ state: 'cancelled', updated_at: at })
        .where('account_id', '=', accountId)
        .where('skill_id', '=', skillId)
        .where('state', '=', 'queued')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    /** Serialises the skill's dispatchers across nodes until the transaction ends (SQLite serialises writers already). */
    async lockSkill(accountId: string, skillId: string): Promise<void> {
      if (dialect === 'postgres') await db.selectFrom('skills').select('id').where('account_id', '=', accountId).where('id', '=', skillId).forUpdate().execute();
    },
    /** Whether a wait_in_queue customer of the skill is being dialled or is on the line without an agent yet. */
    async hasCustomerInProgress(accountId: string, skillId: string): Promise<boolean> {
      const row = await db
        .selectFrom('callbacks')
        .select('id')
        .where('account_id', '=', accountId)
        .where('skill_id', '=', skillId)
        .where('state', 'in', ['dialing', 'reserved'])
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },
    /** The agent with the skill who has been available longest and has a phone, skipping agents another node holds. */
    availableAgent(accountId: string, skillId: string): Promise<{ id: string; phone: string | null } | undefined> {
      return lock(availableAgents(db, accountId, skillId).select(['id', 'phone']).orderBy('status_changed_at').orderBy('id').limit(1)).executeTakeFirst();
    },
    /** Whether the skill has an available agent at all, held by another transaction or not. */
    async anyAvailableAgent(accountId: string, skillId: string): Promise<boolean> {
      return (await availableAgents(db, accountId, skillId).select('id').limit(1).executeTakeFirst()) !== undefined;
    },
    /** Whether an agent with the skill and a phone is at work (available, or busy on a call): someone will come for a customer who holds. */
    async anyStaffedAgent(accountId: string, skillId: string): Promise<boolean> {
      const row = await reachableWithSkill(db, accountId, skillId).where('status', 'in', ['available', 'busy']).select('id').limit(1).executeTakeFirst();
      return row !== undefined;
    },
    /** Takes a customer holding on the line out of the holders; false when an agent was handed to them first. */
    async stopHolding(accountId: string, id: string, at: string): Promise<boolean> {
      const result = await db
        .updateTable('callbacks')
        .set({ accepted_at: null, updated_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('state', '=', 'dialing')
        .where('agent_id', 'is', null)
        .where('accepted_at', 'is not', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /** Makes an available agent busy; false when they were no longer available. */
    async reserveAgent(accountId: string, agentId: string, at: string): Promise<boolean> {
      const result = await db
        .updateTable('agents')
        .set({ status: 'busy', status_changed_at: at, updated_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', agentId)
        .where('status', '=', 'available')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async agentPhone(accountId: string, agentId: string): Promise<string | null> {
      const row = await db.selectFrom('agents').select('phone').where('account_id', '=', accountId).where('id', '=', agentId).executeTakeFirst();
      return row?.phone ?? null;
    },
  };
}

/** Agents with the skill and a phone to be called on. */
function reachableWithSkill(db: Executor, accountId: string, skillId: string) {
  return db
    .selectFrom('agents')
    .where('account_id', '=', accountId)
    .where('phone', 'is not', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('agent_skills')
          .select('agent_id')
          .whereRef('agent_skills.account_id', '=', 'agents.account_id')
          .whereRef('agent_skills.agent_id', '=', 'agents.id')
          .where('agent_skills.skill_id', '=', skillId),
      ),
    );
}

/**
 * Agents of the account with the skill, status `available`, a phone to ring and no callback still
 * holding them (an agent set back to `available` by hand mid-call is not handed a second call).
 */
function availableAgents(db: Executor, accountId: string, skillId: string) {
  return reachableWithSkill(db, accountId, skillId)
    .where('status', '=', 'available')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('callbacks')
            .select('callbacks.id')
            .whereRef('callbacks.account_id', '=', 'agents.account_id')
            .whereRef('callbacks.agent_id', '=', 'agents.id')
            .where(HOLDING_AGENT),
        ),
      ),
    );
}
