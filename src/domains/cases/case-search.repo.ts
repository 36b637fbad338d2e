import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { reusable } from '../../ports/reusable-statement.js';
import type { Database, DialectName, Executor } from '../../ports/storage.js';
import { PRIORITY_RANK } from './cases.model.js';
import type { CaseFilters, CasePosition, CaseSort, SortOrder } from './case-search.model.js';
import type { ListedCaseRow } from './case-view.js';

const COLUMNS = [
  'account_id', 'id', 'title', 'description', 'status_id', 'status_category', 'type', 'priority', 'priority_rank',
  'requester_id', 'requester_name', 'requester_email', 'requester_phone', 'assignee_id', 'group_id', 'problem_id',
  'due_at', 'resolution', 'custom_fields', 'channel', 'related', 'created_by', 'created_at', 'updated_at',
  'resolved_at', 'closed_at', 'deleted_at',
] as const satisfies readonly (keyof ListedCaseRow)[];

/** Selects a listed case's columns and its custom status's name (one statement, no status lookup after it). */
const listedColumns = (query: SelectQueryBuilder<Database, 'cases', object>) =>
  query.select(COLUMNS).select((eb) =>
    eb
      .selectFrom('case_statuses')
      .select('case_statuses.name')
      .whereRef('case_statuses.account_id', '=', 'cases.account_id')
      .whereRef('case_statuses.id', '=', 'cases.status_id')
      .as('custom_status_name'),
  );

/**
 * `one`'s statement, built once (ports/reusable-statement.ts): building its 28 columns anew for
 * every `GET /cases/{id}` took almost half of what the request allocated (docs/benchmarks.md, Cases).
 */
const findListed = reusable((db, key: { accountId: string; id: string }) =>
  listedColumns(db.selectFrom('cases').where('account_id', '=', key.accountId).where('id', '=', key.id)),
);

/**
 * The columns each sort orders on, `id` breaking the last ties (migration 0008 indexes each
 * with id). Cases of one priority come newest first (or oldest first, ascending).
 */
export const SORT_COLUMNS = {
  created_at: ['created_at'],
  updated_at: ['updated_at'],
  priority: ['priority_rank', 'created_at'],
} as const satisfies Record<CaseSort, readonly (keyof Database['cases'])[]>;

/**
 * On SQLite, full-text matches below this many (in the whole database) are read from the FTS5
 * index and sorted; from this many on, a page walks the sort's index and keeps the rows whose
 * rowid is among the matches. SQLite's planner always takes the first way, which for a common word
 * reads and sorts hundreds of thousands of rows to keep fifty (see docs/benchmarks.md, Cases).
 */
export const SQLITE_FTS_DRIVES_BELOW = 2000;

/** How one list applies its full-text query, decided once for its page and its count. */
export interface FullText {
  /** What a page filters by. */
  condition: Expression<SqlBool>;
  /**
   * SQLite: the FTS5 query when the count should stream the matches and look each case up (a join
   * that stops at the count's limit) instead of materialising every match first. Not when other
   * filters narrow a common word: their index finds the cases sooner.
   */
  streamedCount?: string | undefined;
}

const narrowed = (f: CaseFilters) =>
  [f.statusId, f.statusCategory, f.priority, f.type, f.assigneeId, f.groupId, f.problemId, f.requesterId, f.requesterEmail, f.createdFrom, f.createdTo, f.updatedFrom, f.updatedTo].some(
    (value) => value !== undefined,
  );

/** Case lists, scoped by account. */
export function caseSearchRepo(db: Executor, dialect: DialectName) {
  const filtered = (accountId: string, f: CaseFilters, fullText: FullText | undefined) => {
    let query = db.selectFrom('cases').where('account_id', '=', accountId);
    if (!f.includeDeleted) query = query.where('deleted_at', 'is', null);
    if (f.statusId !== undefined) query = query.where('status_id', '=', f.statusId);
    if (f.statusCategory !== undefined) query = query.where('status_category', '=', f.statusCategory);
    if (f.priority !== undefined) query = query.where('priority_rank', '=', PRIORITY_RANK[f.priority]);
    if (f.type !== undefined) query = query.where('type', '=', f.type);
    if (f.assigneeId !== undefined) query = query.where('assignee_id', '=', f.assigneeId);
    if (f.groupId !== undefined) query = query.where('group_id', '=', f.groupId);
    if (f.problemId !== undefined) query = query.where('problem_id', '=', f.problemId);
    if (f.requesterId !== undefined) query = query.where('requester_id', '=', f.requesterId);
    // Folded by the database on both sides, as the index folds it (migration 0008).
    if (f.requesterEmail !== undefined) query = query.where(sql`lower(requester_email)`, '=', sql`lower(${f.requesterEmail})`);
    if (f.createdFrom !== undefined) query = query.where('created_at', '>=', f.createdFrom);
    if (f.createdTo !== undefined) query = query.where('created_at', '<', f.createdTo);
    if (f.updatedFrom !== undefined) query = query.where('updated_at', '>=', f.updatedFrom);
    if (f.updatedTo !== undefined) query = query.where('updated_at', '<', f.updatedTo);
    if (fullText) query = query.where(fullText.condition);
    return query;
  };

  return {
    /** One case, also in the trash, as a list shows it. */
    async one(accountId: string, id: string): Promise<ListedCaseRow | undefined> {
      return (await findListed(db, { accountId, id })).rows[0] as ListedCaseRow | undefined;
    },
    /**
     * Every word must occur (migration 0008 explains how both dialects read words). PostgreSQL's
     * planner picks between the GIN index and the sort's index from its statistics; on SQLite the
     * number of matches decides (`SQLITE_FTS_DRIVES_BELOW`). Each word is its own quoted FTS5
     * string, so nothing in a query is read as FTS5 syntax.
     */
    async fullText(words: string[], filters: CaseFilters): Promise<FullText> {
      // The final sigma is folded to σ, as the indexed text is (migration 0016).
      if (dialect === 'postgres') return { condition: sql<SqlBool>`search_vector @@ plainto_tsquery('simple', ${words.join(' ').replaceAll('ς', 'σ')})` };
      const match = words.map((word) => `"${word.replaceAll('"', '""')}"`).join(' ');
      const matches = sql`select rowid from cases_fts where cases_fts match ${match}`;
      const { rows } = await sql<{ n: number }>`select count(*) as n from (${matches} limit ${SQLITE_FTS_DRIVES_BELOW})`.execute(db);
      const few = Number(rows[0]?.n ?? 0) < SQLITE_FTS_DRIVES_BELOW;
      return {
        // A unary plus keeps SQLite from driving the query by the rowid list.
        condition: few ? sql<SqlBool>`cases.rowid in (${matches})` : sql<SqlBool>`+cases.rowid in (${matches})`,
        streamedCount: few || !narrowed(filters) ? match : undefined,
      };
    },
    /** Up to `limit` cases in `sort` order, starting after `after` (keyset: a range scan wherever the page starts). */
    page(
      accountId: string,
      filters: CaseFilters,
      fullText: FullText | undefined,
      order: { sort: CaseSort; direction: SortOrder },
      after: CasePosition | undefined,
      limit: number,
    ): Promise<ListedCaseRow[]> {
      const columns = SORT_COLUMNS[order.sort];
      let query = listedColumns(filtered(accountId, filters, fullText));
      if (after) {
        const op = order.direction === 'desc' ? '<' : '>';
        query = query.where((eb) =>
          after.sort === 'priority'
            ? eb(eb.refTuple('priority_rank', 'created_at', 'id'), op, eb.tuple(after.rank, after.createdAt, after.id))
            : eb(eb.refTuple(after.sort, 'id'), op, eb.tuple(after.at, after.id)),
        );
      }
      for (const column of columns) query = query.orderBy(column, order.direction);
      return query.orderBy('id', order.direction).limit(limit).execute();
    },
    /** How many cases match, counting no further than `upTo`. */
    async count(accountId: string, filters: CaseFilters, fullText: FullText | undefined, upTo: number): Promise<number> {
      const streamed = fullText?.streamedCount;
      const matching =
        streamed === undefined
          ? filtered(accountId, filters, fullText).select(sql<number>`1`.as('one')).limit(upTo)
          : filtered(accountId, filters, undefined)
              .innerJoin(sql<{ rowid: number }>`cases_fts`.as('fts'), (join) => join.on(sql<SqlBool>`fts.rowid = cases.rowid`))
              .where(sql<SqlBool>`fts.cases_fts match ${streamed}`)
              .select(sql<number>`1`.as('one'))
              .limit(upTo);
      const row = await db.selectFrom(matching.as('matching')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
