import { parseJson } from '../../../kernel/json.js';
import { reusable } from '../../../ports/reusable-statement.js';
import type { Database, Executor } from '../../../ports/storage.js';
import type { ActiveCall, ExecutionFilters, Interaction, InteractionStatus, Step } from './interaction.model.js';

export type InteractionRow = Database['interactions'];
type StepRow = Database['interaction_steps'];

export const toStep = (row: StepRow): Step => ({
  component: row.component,
  type: row.type,
  exit: row.exit,
  started_at: row.started_at,
  ended_at: row.ended_at,
  detail: parseJson<Record<string, unknown>>(row.detail),
});

export const toInteraction = (row: InteractionRow, steps: Step[]): Interaction => ({
  interaction_id: row.id,
  flow_id: row.flow_id,
  flow_version_id: row.flow_version_id,
  flow_execution_id: row.flow_execution_id,
  status: row.status as InteractionStatus,
  arguments: parseJson<Record<string, string>>(row.arguments),
  variables: parseJson<Record<string, string>>(row.variables),
  current: row.current,
  reason: row.reason,
  created_at: row.created_at,
  updated_at: row.updated_at,
  ended_at: row.ended_at,
  steps,
});

/** The interpreter's state after a step, written with the step in one transaction. */
export interface Progress {
  status: InteractionStatus;
  current: string | null;
  variables: Record<string, string>;
  call: ActiveCall | null;
  steps: number;
  repeats: number;
  reason: string | null;
  /**
   * The call-log id reserved for a leg the current component may place, written with the state
   * before the component runs: a run resuming after a crash finds the leg it may have left ringing.
   */
  leg: string | null;
}

// The statements every interaction runs, each built once (ports/reusable-statement.ts).
const insertInteraction = reusable((db, row: InteractionRow) => db.insertInto('interactions').values(row));
const findInteraction = reusable((db, key: { account_id: string; id: string }) =>
  db.selectFrom('interactions').selectAll().where('account_id', '=', key.account_id).where('id', '=', key.id),
);
const findWithItsVersion = reusable((db, key: { account_id: string; id: string }) =>
  db
    .selectFrom('interactions as i')
    .leftJoin('flow_versions as v', (join) => join.onRef('v.account_id', '=', 'i.account_id').onRef('v.id', '=', 'i.flow_version_id'))
    .selectAll('i')
    .select('v.version')
    .where('i.account_id', '=', key.account_id)
    .where('i.id', '=', key.id),
);
type Advance = Pick<InteractionRow, 'account_id' | 'id' | 'status' | 'current' | 'variables' | 'call' | 'placing' | 'steps' | 'repeats' | 'reason' | 'updated_at' | 'ended_at'> & { previous: number };
const advanceInteraction = reusable((db, v: Advance) =>
  db
    .updateTable('interactions')
    .set({
      status: v.status, current: v.current, variables: v.variables, call: v.call, placing: v.placing, steps: v.steps,
      repeats: v.repeats, reason: v.reason, updated_at: v.updated_at, ended_at: v.ended_at,
    })
    .where('account_id', '=', v.account_id)
    .where('id', '=', v.id)
    .where('status', '=', 'running')
    .where('steps', '=', v.previous),
);
const insertStep = reusable((db, row: StepRow) => db.insertInto('interaction_steps').values(row));

export function interactionsRepo(db: Executor) {
  return {
    async insert(row: InteractionRow): Promise<void> {
      await insertInteraction(db, row);
    },
    async find(accountId: string, id: string): Promise<InteractionRow | undefined> {
      return (await findInteraction(db, { account_id: accountId, id })).rows[0];
    },
    async steps(accountId: string, interactionIds: readonly string[]): Promise<Map<string, Step[]>> {
      const bySteps = new Map<string, Step[]>(interactionIds.map((id) => [id, []]));
      if (interactionIds.length === 0) return bySteps;
      const rows = await db
        .selectFrom('interaction_steps')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('interaction_id', 'in', interactionIds)
        .orderBy('interaction_id')
        .orderBy('seq')
        .execute();
      for (const row of rows) bySteps.get(row.interaction_id)?.push(toStep(row));
      return bySteps;
    },
    /**
     * Records step number `progress.steps` and moves the interaction on, only if it is still
     * running at step `progress.steps - 1` (a second runner of the same interaction loses). Two
     * statements: run it in a transaction.
     */
    async advance(accountId: string, id: string, step: Step, progress: Progress, at: string): Promise<boolean> {
      const result = await advanceInteraction(db, {
        account_id: accountId, id, status: progress.status, current: progress.current, variables: JSON.stringify(progress.variables),
        call: progress.call && JSON.stringify(progress.call), placing: progress.leg, steps: progress.steps, repeats: progress.repeats,
        reason: progress.reason, updated_at: at, ended_at: progress.status === 'running' ? null : at, previous: progress.steps - 1,
      });
      if (!result.numAffectedRows) return false;
      await insertStep(db, {
        account_id: accountId, interaction_id: id, seq: progress.steps, component: step.component, type: step.type, exit: step.exit,
        started_at: step.started_at, ended_at: step.ended_at, detail: JSON.stringify(step.detail),
      });
      return true;
    },
    /** Reserves the leg id of the current component (a resumed run's; fresh runs get it from `insert` or `advance`); fenced like `advance`. */
    async reserveLeg(accountId: string, id: string, steps: number, callId: string, at: string): Promise<void> {
      await db
        .updateTable('interactions')
        .set({ placing: callId, updated_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('status', '=', 'running')
        .where('steps', '=', steps)
        .execute();
    },
    /** Ends a running interaction without a step (limits, a version that cannot be loaded); false when it was not running. */
    async fail(accountId: string, id: string, reason: string, at: string): Promise<boolean> {
      const result = await db
        .updateTable('interactions')
        .set({ status: 'failed', current: null, reason, updated_at: at, ended_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /** The interaction with the number of the version it runs (null when that version is gone). */
    async findWithVersion(accountId: string, id: string): Promise<(InteractionRow & { version: number | null }) | undefined> {
      return (await findWithItsVersion(db, { account_id: accountId, id })).rows[0];
    },
    async list(accountId: string, flowId: string, filters: ExecutionFilters, after: [string, string] | undefined, limit: number): Promise<InteractionRow[]> {
      let query = filtered(db, accountId, flowId, filters).selectAll();
      if (after) {
        const [createdAt, id] = after;
        query = query.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
      }
      return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    },
    async count(accountId: string, flowId: string, filters: ExecutionFilters): Promise<number> {
      const row = await filtered(db, accountId, flowId, filters).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

function filtered(db: Executor, accountId: string, flowId: string, filters: ExecutionFilters) {
  let query = db.selectFrom('interactions').where('account_id', '=', accountId).where('flow_id', '=', flowId);
  if (filters.status !== undefined) query = query.where('status', '=', filters.status);
  if (filters.created_from !== undefined) query = query.where('created_at', '>=', filters.created_from);
  if (filters.created_to !== undefined) query = query.where('created_at', '<', filters.created_to);
  return query;
}
