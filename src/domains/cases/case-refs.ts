import type { FieldProblem } from '../../kernel/errors.js';
import type { DialectName, Executor } from '../../ports/storage.js';
import { parseJson } from '../../kernel/json.js';
import type { CaseRow } from './case-view.js';
import type { CaseRelated } from './cases.model.js';

type IdTable = 'agents' | 'groups' | 'calls' | 'interactions' | 'callbacks' | 'messages';

async function missingIds(db: Executor, table: IdTable, accountId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom(table).select('id').where('account_id', '=', accountId).where('id', 'in', ids).execute();
  const found = new Set(rows.map((row) => row.id));
  return ids.filter((id) => !found.has(id));
}

/** Where each related kind's ids must exist in the account. */
const RELATED_TABLES = { calls: 'calls', interactions: 'interactions', callbacks: 'callbacks', messages: 'messages' } as const satisfies Record<keyof CaseRelated, IdTable>;

/**
 * Checks what a case points at, for the fields this write changed: the assignee is an agent of
 * the account, the group one of its groups, the problem a problem case of the account, neither
 * in the trash nor resolved or closed (its incidents are resolved with it, which a problem already
 * past that can no longer do), related calls, interactions, callbacks and messages exist in the
 * account. On PostgreSQL the problem is read under a share lock until the transaction ends, so it
 * cannot stop being a problem, nor be resolved, while an incident is being linked to it.
 */
export async function checkReferences(db: Executor, dialect: DialectName, accountId: string, before: CaseRow | undefined, next: CaseRow): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  const changed = (field: 'assignee_id' | 'group_id' | 'problem_id' | 'related') => next[field] !== null && next[field] !== before?.[field];

  if (changed('assignee_id') && (await missingIds(db, 'agents', accountId, [next.assignee_id ?? ''])).length > 0) {
    problems.push({ name: 'assignee_id', description: 'is not an agent of this account' });
  }
  if (changed('group_id') && (await missingIds(db, 'groups', accountId, [next.group_id ?? ''])).length > 0) {
    problems.push({ name: 'group_id', description: 'is not a group of this account' });
  }
  if (changed('problem_id') && next.problem_id !== next.id) {
    const query = db
      .selectFrom('cases')
      .select(['type', 'deleted_at', 'status_category'])
      .where('account_id', '=', accountId)
      .where('id', '=', next.problem_id ?? '');
    const problem = await (dialect === 'postgres' ? query.forShare() : query).executeTakeFirst();
    if (!problem || problem.deleted_at !== null || problem.type !== 'problem') problems.push({ name: 'problem_id', description: 'is not a problem case of this account' });
    else if (problem.status_category === 'resolved' || problem.status_category === 'closed') {
      problems.push({ name: 'problem_id', description: `is a ${problem.status_category} problem: link an open one, or reopen it first` });
    }
  }
  if (changed('related')) {
    const related = parseJson<CaseRelated>(next.related);
    for (const [kind, table] of Object.entries(RELATED_TABLES) as [keyof typeof RELATED_TABLES, IdTable][]) {
      const missing = await missingIds(db, table, accountId, related[kind]);
      if (missing.length > 0) problems.push({ name: `related.${kind}`, description: `not found in this account: ${missing.join(', ')}` });
    }
  }
  return problems;
}

/**
 * The holders of a case (its assignee, its group) deleted since it was written: possible only
 * for a case in the trash, which does not hold them. Restoring it clears them.
 */
export async function departedHolders(db: Executor, accountId: string, row: CaseRow): Promise<('assignee_id' | 'group_id')[]> {
  const gone: ('assignee_id' | 'group_id')[] = [];
  if (row.assignee_id !== null && (await missingIds(db, 'agents', accountId, [row.assignee_id])).length > 0) gone.push('assignee_id');
  if (row.group_id !== null && (await missingIds(db, 'groups', accountId, [row.group_id])).length > 0) gone.push('group_id');
  return gone;
}
