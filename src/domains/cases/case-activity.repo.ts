import type { Executor } from '../../ports/storage.js';
import { parseJson } from '../../kernel/json.js';
import type { CaseAuditEntry, CaseNote, NoteVisibility } from './cases.model.js';

/** Keyset position in a case's notes or audit trail: creation time, then id. */
export type ActivityKey = [string, string];

export interface NewAuditEntry {
  action: string;
  field?: string | undefined;
  old_value?: unknown;
  new_value?: unknown;
  detail?: string | undefined;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** A case's notes and audit trail, oldest first. */
export function caseActivityRepo(db: Executor) {
  return {
    async insertNote(accountId: string, note: CaseNote): Promise<void> {
      await db.insertInto('case_notes').values({ account_id: accountId, ...note }).execute();
    },
    /** Every note body of the case in creation order, for its search text. */
    async noteBodies(accountId: string, caseId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('case_notes')
        .select('body')
        .where('account_id', '=', accountId)
        .where('case_id', '=', caseId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((row) => row.body);
    },
    async notes(accountId: string, caseId: string, after: ActivityKey | undefined, limit: number): Promise<CaseNote[]> {
      let query = db
        .selectFrom('case_notes')
        .select(['id', 'case_id', 'body', 'visibility', 'author', 'created_at'])
        .where('account_id', '=', accountId)
        .where('case_id', '=', caseId);
      if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after[0], after[1])));
      const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
      return rows.map((row) => ({ ...row, visibility: row.visibility as NoteVisibility }));
    },
    async countNotes(accountId: string, caseId: string): Promise<number> {
      const row = await db
        .selectFrom('case_notes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('case_id', '=', caseId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async insertAudit(accountId: string, rows: CaseAuditEntry[]): Promise<void> {
      if (rows.length === 0) return;
      await db
        .insertInto('case_audit')
        .values(rows.map((row) => ({ account_id: accountId, ...row, old_value: json(row.old_value), new_value: json(row.new_value) })))
        .execute();
    },
    async audit(accountId: string, caseId: string, after: ActivityKey | undefined, limit: number): Promise<CaseAuditEntry[]> {
      let query = db
        .selectFrom('case_audit')
        .select(['id', 'case_id', 'actor', 'action', 'field', 'old_value', 'new_value', 'detail', 'created_at'])
        .where('account_id', '=', accountId)
        .where('case_id', '=', caseId);
      if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after[0], after[1])));
      const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
      return rows.map((row) => ({
        ...row,
        old_value: row.old_value === null ? null : parseJson(row.old_value),
        new_value: row.new_value === null ? null : parseJson(row.new_value),
      }));
    },
    async countAudit(accountId: string, caseId: string): Promise<number> {
      const row = await db
        .selectFrom('case_audit')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('case_id', '=', caseId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
