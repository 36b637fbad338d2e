import type { Updateable } from 'kysely';
import type { Database, DialectName, Executor } from '../../ports/storage.js';
import type { CaseRow } from './case-view.js';

export type CaseChanges = Updateable<Database['cases']>;

/** The columns a case is made of; the search migration adds generated ones that are never read or written here. */
export const CASE_COLUMNS = [
  'account_id', 'id', 'title', 'description', 'status_id', 'status_category', 'type', 'priority', 'priority_rank', 'requester_id', 'requester_name',
  'requester_email', 'requester_phone', 'assignee_id', 'group_id', 'problem_id', 'due_at', 'resolution', 'custom_fields', 'channel', 'related',
  'search_text', 'created_by', 'created_at', 'updated_at', 'resolved_at', 'closed_at', 'deleted_at',
] as const satisfies readonly (keyof CaseRow)[];

/** The columns whose values differ between two versions of a case. */
export function changedColumns(before: CaseRow, after: CaseRow): CaseChanges {
  return Object.fromEntries(CASE_COLUMNS.filter((column) => before[column] !== after[column]).map((column) => [column, after[column]]));
}

/** The case rows themselves; notes and audit are `caseActivityRepo`. Every query is scoped by account. */
export function casesRepo(db: Executor, dialect: DialectName) {
  return {
    async insert(row: CaseRow): Promise<void> {
      await db.insertInto('cases').values(row).execute();
    },
    /**
     * One case; `lock` holds its row until the transaction ends (PostgreSQL), so concurrent writes
     * to one case (a PATCH, a note, auto-close) apply one after the other. SQLite transactions are
     * serial already.
     */
    async find(accountId: string, id: string, lock = false): Promise<CaseRow | undefined> {
      const query = db.selectFrom('cases').select(CASE_COLUMNS).where('account_id', '=', accountId).where('id', '=', id);
      return (lock && dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
    },
    async update(accountId: string, id: string, changes: CaseChanges): Promise<void> {
      await db.updateTable('cases').set(changes).where('account_id', '=', accountId).where('id', '=', id).execute();
    },
    /** The problem's incidents that are neither resolved nor closed nor in the trash, locked for the cascade. */
    async openIncidentsOf(accountId: string, problemId: string): Promise<CaseRow[]> {
      const query = db
        .selectFrom('cases')
        .select(CASE_COLUMNS)
        .where('account_id', '=', accountId)
        .where('problem_id', '=', problemId)
        .where('type', '=', 'incident')
        .where('status_category', 'not in', ['resolved', 'closed'])
        .where('deleted_at', 'is', null)
        .orderBy('id');
      return (dialect === 'postgres' ? query.forUpdate() : query).execute();
    },
    /** Cases not closed nor in the trash whose assignee or group is `id`, counted up to `limit`. */
    async countOpenHeldBy(accountId: string, column: 'assignee_id' | 'group_id', id: string, limit: number): Promise<number> {
      const held = db
        .selectFrom('cases')
        .select('id')
        .where('account_id', '=', accountId)
        .where(column, '=', id)
        .where('status_category', '!=', 'closed')
        .where('deleted_at', 'is', null)
        .limit(limit);
      const row = await db.selectFrom(held.as('held')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async hasIncidents(accountId: string, problemId: string): Promise<boolean> {
      const row = await db.selectFrom('cases').select('id').where('account_id', '=', accountId).where('problem_id', '=', problemId).limit(1).executeTakeFirst();
      return row !== undefined;
    },
  };
}

/**
 * Incidents (up to `limit`, across accounts) that link a problem trashed before `cutoff`, and are
 * not to be purged themselves: the purge leaves their link pointing at nothing unless it is undone.
 */
export function incidentsOfPurgedProblems(db: Executor, cutoff: string, limit: number): Promise<{ account_id: string; id: string; problem_id: string | null }[]> {
  return db
    .selectFrom('cases as i')
    .innerJoin('cases as p', (join) => join.onRef('p.account_id', '=', 'i.account_id').onRef('p.id', '=', 'i.problem_id'))
    .select(['i.account_id', 'i.id', 'i.problem_id'])
    .where('p.deleted_at', 'is not', null)
    .where('p.deleted_at', '<', cutoff)
    .where((eb) => eb.or([eb('i.deleted_at', 'is', null), eb('i.deleted_at', '>=', cutoff)]))
    .limit(limit)
    .execute();
}

/** Rows per delete, so one purge never holds locks on a huge backlog in a single statement. */
export const PURGE_BATCH = 1000;

/**
 * Deletes up to `PURGE_BATCH` cases (with their notes and audit, by cascade) trashed before
 * `cutoff`, across every account: housekeeping, like the idempotency purge. Returns how many.
 */
export async function purgeTrashedBatch(db: Executor, cutoff: string): Promise<number> {
  const result = await db
    .deleteFrom('cases')
    .where((eb) =>
      eb(
        eb.refTuple('account_id', 'id'),
        'in',
        eb.selectFrom('cases').select(['account_id', 'id']).where('deleted_at', 'is not', null).where('deleted_at', '<', cutoff).limit(PURGE_BATCH).$asTuple('account_id', 'id'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
