import type { Transaction } from 'kysely';
import type { Clock } from '../../kernel/clock.js';
import { invalid, notFound, type FieldProblem } from '../../kernel/errors.js';
import { decodeCursor, pageOf, type Page } from '../../kernel/page.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { EventPublisher } from '../../ports/events.js';
import type { Database, Executor, Storage, WithResult } from '../../ports/storage.js';
import { z } from 'zod';
import { caseActivityRepo, type ActivityKey, type NewAuditEntry } from './case-activity.repo.js';
import { cancelAutoClose, scheduleAutoClose } from './case-automation.js';
import { newId } from '../../kernel/ids.js';
import { planChange, type Plan } from './case-plan.js';
import { checkReferences, departedHolders } from './case-refs.js';
import type { CaseSettingsService } from './case-settings.service.js';
import { listedCaseView, toCaseView, type CaseRow } from './case-view.js';
import { caseSearchRepo } from './case-search.repo.js';
import { caseClosed, caseNotTrashed, caseTrashed } from './cases.errors.js';
import { buildSearchText, type CaseAuditEntry, type CaseNote, type CaseView, type NoteVisibility } from './cases.model.js';
import { casesRepo, changedColumns } from './cases.repo.js';
import type { CreateCaseInput, UpdateCaseInput } from './cases.schema.js';
import { noonIn } from './due-date.js';
import type { CaseStatusesService } from './statuses.service.js';

export interface CasesDependencies {
  storage: Storage;
  clock: Clock;
  jobs: JobQueue<Job>;
  statuses: CaseStatusesService;
  settings: CaseSettingsService;
  /** The account's IANA time zone, for `due_date`. */
  timeZoneOf: (accountId: string) => Promise<string>;
  /** Where case.created, case.updated and case.resolved go (the account's webhooks), inside each change's transaction. */
  events?: EventPublisher;
}

type Trx = Transaction<Database>;

const activityKey = z.tuple([z.string(), z.string()]);

/**
 * Cases: create, read, change, trash and restore, notes and the audit trail. Every write runs in
 * one transaction that locks the case, writes its audit entries, and enqueues (or cancels) its
 * auto-close; resolving a problem resolves its open incidents in the same transaction.
 */
export class CasesService {
  constructor(private readonly deps: CasesDependencies) {}

  async create(accountId: string, actor: string, input: CreateCaseInput, withResult?: WithResult<CaseView>): Promise<CaseView> {
    const dueDateAt = await this.dueDateAt(accountId, input.due_date);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    return this.deps.jobs.transaction(async (trx) => {
      const requestedStatus = input.status === undefined ? undefined : await this.deps.statuses.byName(accountId, input.status, trx);
      const plan = planChange(input, { current: undefined, currentStatus: undefined, requestedStatus, dueDateAt, now: at });
      const row: CaseRow = { ...plan.next, account_id: accountId, id: newId(now.getTime()), created_by: actor, created_at: at, updated_at: at };
      const problems = [...plan.problems, ...(await checkReferences(trx, this.deps.storage.dialect, accountId, undefined, row))];
      if (problems.length > 0) throw invalid(onePerField(problems));
      row.search_text = buildSearchText(row.title, row.description, []);
      await casesRepo(trx, this.deps.storage.dialect).insert(row);
      const view = toCaseView(row, plan.status.name);
      await this.writeAudit(trx, accountId, actor, row.id, at, [{ action: 'created', new_value: initialValues(view) }]);
      await this.afterStatusChange(trx, accountId, actor, { ...plan, next: row });
      await this.publish(trx, accountId, 'case.created', view, plan.resolved);
      await withResult?.(trx, view);
      return view;
    });
  }

  /** How many cases not closed nor in the trash an agent or a group holds (counted up to 1,000): the directory's delete guard. */
  openCasesOf(accountId: string, holder: { assigneeId: string } | { groupId: string }): Promise<number> {
    const [column, id] = 'assigneeId' in holder ? (['assignee_id', holder.assigneeId] as const) : (['group_id', holder.groupId] as const);
    return casesRepo(this.deps.storage.db, this.deps.storage.dialect).countOpenHeldBy(accountId, column, id, 1000);
  }

  /** One statement: the case and its custom status's name, without its search text. */
  async get(accountId: string, id: string): Promise<CaseView> {
    const row = await caseSearchRepo(this.deps.storage.db, this.deps.storage.dialect).one(accountId, id);
    if (!row) throw notFound('case');
    return listedCaseView(row);
  }

  async update(accountId: string, actor: string, id: string, input: UpdateCaseInput): Promise<CaseView> {
    const dueDateAt = await this.dueDateAt(accountId, input.due_date);
    return this.deps.jobs.transaction(async (trx) => {
      const cases = casesRepo(trx, this.deps.storage.dialect);
      const current = await this.writable(trx, accountId, id);
      // Stamped once the case is locked: changes to one case are dated in the order they apply.
      const at = this.deps.clock.now().toISOString();
      const currentStatus = await this.deps.statuses.byId(accountId, current.status_id, trx);
      const requestedStatus = input.status === undefined ? undefined : await this.deps.statuses.byName(accountId, input.status, trx);
      const plan = planChange(input, { current, currentStatus, requestedStatus, dueDateAt, now: at });
      const problems = [...plan.problems, ...(await checkReferences(trx, this.deps.storage.dialect, accountId, current, plan.next))];
      if (current.type === 'problem' && plan.next.type !== 'problem' && (await cases.hasIncidents(accountId, id))) {
        problems.push({ name: 'type', description: 'incidents are linked to this problem' });
      }
      if (problems.length > 0) throw invalid(onePerField(problems));
      if (plan.audit.length === 0) return toCaseView(current, plan.status.name);
      const { next } = plan;
      if (next.title !== current.title || next.description !== current.description) {
        next.search_text = buildSearchText(next.title, next.description, await caseActivityRepo(trx).noteBodies(accountId, id));
      }
      await cases.update(accountId, id, changedColumns(current, next));
      await this.writeAudit(trx, accountId, actor, id, at, plan.audit);
      await this.afterStatusChange(trx, accountId, actor, plan);
      const view = toCaseView(next, plan.status.name);
      await this.publish(trx, accountId, 'case.updated', view, plan.resolved);
      return view;
    });
  }

  /** Moves the case to the trash (kept 30 days, then purged); trashing it again changes nothing. */
  async trash(accountId: string, actor: string, id: string): Promise<void> {
    await this.deps.storage.db.transaction().execute(async (trx) => {
      const row = await this.find(trx, accountId, id);
      if (row.deleted_at !== null) return;
      const at = this.deps.clock.now().toISOString();
      await casesRepo(trx, this.deps.storage.dialect).update(accountId, id, { deleted_at: at, updated_at: at });
      await this.writeAudit(trx, accountId, actor, id, at, [{ action: 'trashed', field: 'deleted_at', old_value: null, new_value: at }]);
      await this.publishUpdate(trx, accountId, { ...row, deleted_at: at, updated_at: at });
    });
  }

  async restore(accountId: string, actor: string, id: string): Promise<CaseView> {
    const row = await this.deps.storage.db.transaction().execute(async (trx) => {
      const found = await this.find(trx, accountId, id);
      if (found.deleted_at === null) throw caseNotTrashed();
      const at = this.deps.clock.now().toISOString();
      // An agent or a group may have been deleted while the case was in the trash (it held neither there).
      const gone = await departedHolders(trx, accountId, found);
      const cleared = Object.fromEntries(gone.map((field) => [field, null])) as Partial<Pick<CaseRow, 'assignee_id' | 'group_id'>>;
      await casesRepo(trx, this.deps.storage.dialect).update(accountId, id, { deleted_at: null, updated_at: at, ...cleared });
      await this.writeAudit(trx, accountId, actor, id, at, [
        { action: 'restored', field: 'deleted_at', old_value: found.deleted_at, new_value: null },
        ...gone.map((field) => ({ action: 'changed', field, old_value: found[field], new_value: null, detail: `the ${field === 'assignee_id' ? 'agent' : 'group'} was deleted while the case was in the trash` })),
      ]);
      const restored = { ...found, ...cleared, deleted_at: null, updated_at: at };
      if (restored.status_category === 'resolved' && restored.resolved_at !== null) {
        // Its auto-close skipped it in the trash: due at the same time as before, or at once when that has passed.
        const { auto_close_after_days: days } = await this.deps.settings.get(accountId, trx);
        await scheduleAutoClose(this.deps.jobs, trx, accountId, id, restored.resolved_at, days);
      }
      await this.publishUpdate(trx, accountId, restored);
      return restored;
    });
    return toCaseView(row, await this.statusName(accountId, row.status_id));
  }

  async addNote(accountId: string, actor: string, id: string, input: { body: string; visibility: NoteVisibility }, withResult?: WithResult<CaseNote>): Promise<CaseNote> {
    return this.deps.storage.db.transaction().execute(async (trx) => {
      const row = await this.writable(trx, accountId, id);
      const now = this.deps.clock.now();
      const at = now.toISOString();
      const note: CaseNote = { id: newId(now.getTime()), case_id: id, body: input.body, visibility: input.visibility, author: actor, created_at: at };
      const activity = caseActivityRepo(trx);
      await activity.insertNote(accountId, note);
      const searchText = buildSearchText(row.title, row.description, await activity.noteBodies(accountId, id));
      await casesRepo(trx, this.deps.storage.dialect).update(accountId, id, { search_text: searchText, updated_at: at });
      await this.writeAudit(trx, accountId, actor, id, at, [{ action: 'note_added', new_value: { id: note.id, visibility: note.visibility } }]);
      await this.publishUpdate(trx, accountId, { ...row, search_text: searchText, updated_at: at });
      await withResult?.(trx, note);
      return note;
    });
  }

  async notes(accountId: string, id: string, cursor: string | undefined, perPage: number): Promise<Page<CaseNote>> {
    const after = decodeCursor(cursor, activityKey);
    await this.find(this.deps.storage.db, accountId, id);
    const activity = caseActivityRepo(this.deps.storage.db);
    const [rows, total] = await Promise.all([activity.notes(accountId, id, after, perPage + 1), activity.countNotes(accountId, id)]);
    return pageOf(rows, perPage, total, (note): ActivityKey => [note.created_at, note.id]);
  }

  /** The case's audit trail, oldest first. */
  async audit(accountId: string, id: string, cursor: string | undefined, perPage: number): Promise<Page<CaseAuditEntry>> {
    const after = decodeCursor(cursor, activityKey);
    await this.find(this.deps.storage.db, accountId, id);
    const activity = caseActivityRepo(this.deps.storage.db);
    const [rows, total] = await Promise.all([activity.audit(accountId, id, after, perPage + 1), activity.countAudit(accountId, id)]);
    return pageOf(rows, perPage, total, (entry): ActivityKey => [entry.created_at, entry.id]);
  }

  /** The case; `trx` locks it for a change. */
  private async find(executor: Executor, accountId: string, id: string, lock = executor !== this.deps.storage.db): Promise<CaseRow> {
    const row = await casesRepo(executor, this.deps.storage.dialect).find(accountId, id, lock);
    if (!row) throw notFound('case');
    return row;
  }

  /** The case, locked for a change: closed cases never change, trashed ones must be restored first. */
  private async writable(trx: Trx, accountId: string, id: string): Promise<CaseRow> {
    const row = await this.find(trx, accountId, id);
    if (row.status_category === 'closed') throw caseClosed();
    if (row.deleted_at !== null) throw caseTrashed();
    return row;
  }

  private async statusName(accountId: string, statusId: string): Promise<string> {
    return (await this.deps.statuses.byId(accountId, statusId))?.name ?? statusId;
  }

  private async dueDateAt(accountId: string, dueDate: string | null | undefined): Promise<string | null | undefined> {
    if (dueDate === undefined || dueDate === null) return dueDate;
    return noonIn(dueDate, await this.deps.timeZoneOf(accountId)).toISOString();
  }

  private async writeAudit(trx: Trx, accountId: string, actor: string, caseId: string, at: string, entries: NewAuditEntry[]): Promise<void> {
    const ms = Date.parse(at);
    await caseActivityRepo(trx).insertAudit(accountId, entries.map((entry) => ({
      id: newId(ms), case_id: caseId, actor, action: entry.action, field: entry.field ?? null,
      old_value: entry.old_value ?? null, new_value: entry.new_value ?? null, detail: entry.detail ?? null, created_at: at,
    })));
  }

  /** Resolving schedules the auto-close (and resolves a problem's open incidents); reopening cancels it. */
  private async afterStatusChange(trx: Trx, accountId: string, actor: string, plan: Pick<Plan, 'next' | 'status' | 'resolved' | 'reopened'>): Promise<void> {
    const { next } = plan;
    if (plan.reopened) await cancelAutoClose(this.deps.jobs, trx, accountId, next.id);
    if (!plan.resolved || next.resolved_at === null) return;
    const { auto_close_after_days: days } = await this.deps.settings.get(accountId, trx);
    await scheduleAutoClose(this.deps.jobs, trx, accountId, next.id, next.resolved_at, days);
    if (next.type !== 'problem') return;
    const cases = casesRepo(trx, this.deps.storage.dialect);
    const names = await this.deps.statuses.names(accountId, trx);
    for (const incident of await cases.openIncidentsOf(accountId, next.id)) {
      const changes = { status_id: plan.status.id, status_category: plan.status.category, resolution: next.resolution, resolved_at: next.resolved_at, updated_at: next.resolved_at };
      await cases.update(accountId, incident.id, changes);
      const detail = `resolved with problem ${next.id}`;
      await this.writeAudit(trx, accountId, actor, incident.id, next.resolved_at, [
        { action: 'resolved_by_problem', field: 'status', old_value: names.get(incident.status_id) ?? incident.status_id, new_value: plan.status.name, detail },
        ...(incident.resolution === next.resolution ? [] : [{ action: 'resolved_by_problem', field: 'resolution', old_value: incident.resolution, new_value: next.resolution, detail }]),
      ]);
      await scheduleAutoClose(this.deps.jobs, trx, accountId, incident.id, next.resolved_at, days);
      await this.publish(trx, accountId, 'case.updated', toCaseView({ ...incident, ...changes }, plan.status.name), true);
    }
  }

  /** `case.updated` for a change that moved `updated_at` without going through `update` (a note, the trash). */
  private async publishUpdate(trx: Trx, accountId: string, row: CaseRow): Promise<void> {
    const status = await this.deps.statuses.byId(accountId, row.status_id, trx);
    await this.publish(trx, accountId, 'case.updated', toCaseView(row, status?.name ?? row.status_id), false);
  }

  /** Publishes the change (and case.resolved when it resolved the case) in its transaction. */
  private async publish(trx: Trx, accountId: string, type: 'case.created' | 'case.updated', view: CaseView, resolved: boolean): Promise<void> {
    const data = view as unknown as Record<string, unknown>;
    await this.deps.events?.publish(trx, accountId, type, data);
    if (resolved) await this.deps.events?.publish(trx, accountId, 'case.resolved', data);
  }
}

/** What the `created` audit entry records: every field the case started with. */
function initialValues(view: CaseView): Record<string, unknown> {
  const { id: _id, created_at: _created, updated_at: _updated, resolved_at: _resolved, closed_at: _closed, deleted_at: _deleted, ...fields } = view;
  return fields;
}

/** A field found wrong twice (not a problem, and not an incident) is named once, with both reasons. */
function onePerField(problems: FieldProblem[]): FieldProblem[] {
  const byName = new Map<string, string[]>();
  for (const { name, description } of problems) byName.set(name, [...(byName.get(name) ?? []), description]);
  return [...byName].map(([name, descriptions]) => ({ name, description: descriptions.join('; ') }));
}
