import type { FieldProblem } from '../../kernel/errors.js';
import type { CaseRow } from './case-view.js';
import type { NewAuditEntry } from './case-activity.repo.js';
import { closingIsAutomatic } from './cases.errors.js';
import { BUILT_IN_STATUS, priorityRank, RELATED_KINDS, type CasePriority, type CaseRelated, type CaseStatus } from './cases.model.js';
import type { UpdateCaseInput } from './cases.schema.js';
import { parseJson } from '../../kernel/json.js';

/** What a write needs besides its body, read by the service first. */
export interface PlanContext {
  /** The case as stored; undefined when creating. */
  current: CaseRow | undefined;
  currentStatus: CaseStatus | undefined;
  /** The status `input.status` names, when it names one. */
  requestedStatus: CaseStatus | undefined;
  /** `due_date` at noon in the account's time zone, when given. */
  dueDateAt: string | null | undefined;
  now: string;
}

export interface Plan {
  next: CaseRow;
  status: CaseStatus;
  /** Field problems found without the database; references are checked by the service. */
  problems: FieldProblem[];
  audit: NewAuditEntry[];
  /** The case entered a resolved-category status in this change. */
  resolved: boolean;
  /** The case left a resolved-category status in this change. */
  reopened: boolean;
}

/** Fields copied from the body as given; `null` clears them. */
const PLAIN_FIELDS = [
  'title', 'description', 'type', 'priority', 'requester_id', 'requester_name', 'requester_email', 'requester_phone',
  'assignee_id', 'group_id', 'problem_id', 'resolution', 'channel',
] as const;

/** Fields whose changes are audited, in the order their entries are written. */
const AUDITED_FIELDS = [...PLAIN_FIELDS, 'due_at', 'custom_fields', 'related'] as const;

export const blankCase = (now: string): CaseRow => ({
  account_id: '', id: '', title: '', description: null, status_id: BUILT_IN_STATUS.new.id, status_category: 'new', type: 'question',
  priority: null, priority_rank: 0, requester_id: null, requester_name: null, requester_email: null, requester_phone: null,
  assignee_id: null, group_id: null, problem_id: null, due_at: null, resolution: null, custom_fields: '{}', channel: null,
  related: JSON.stringify({ calls: [], interactions: [], messages: [], callbacks: [] }), search_text: '', created_by: '',
  created_at: now, updated_at: now, resolved_at: null, closed_at: null, deleted_at: null,
});

/**
 * Applies a create or PATCH body to a case: the resulting row, its status, the problems found and
 * the audit entries. Lifecycle rules live here: assigning a new case opens it, a case never
 * returns to `new`, resolving needs a resolution and stamps `resolved_at`, reopening clears it,
 * and `closed` is never set through the API (422).
 */
export function planChange(input: UpdateCaseInput, context: PlanContext): Plan {
  const { current, now } = context;
  const before = current ?? blankCase(now);
  const next: CaseRow = { ...before };
  const problems: FieldProblem[] = [];
  const problem = (name: string, description: string) => problems.push({ name, description });

  for (const field of PLAIN_FIELDS) {
    const value = input[field];
    if (value !== undefined) Object.assign(next, { [field]: value });
  }
  next.priority_rank = priorityRank(next.priority as CasePriority | null);

  if (input.due_date !== undefined && input.due_at !== undefined) problem('due_date', 'cannot be given together with due_at');
  if (input.due_at !== undefined) next.due_at = input.due_at === null ? null : new Date(input.due_at).toISOString();
  if (context.dueDateAt !== undefined) next.due_at = context.dueDateAt;

  if (input.custom_fields !== undefined) next.custom_fields = JSON.stringify(mergeCustomFields(parseJson(before.custom_fields), input.custom_fields));
  if (input.related !== undefined) {
    const related = parseJson<CaseRelated>(before.related);
    for (const kind of RELATED_KINDS) {
      const ids = input.related[kind];
      if (ids !== undefined) related[kind] = [...new Set(ids)];
    }
    next.related = JSON.stringify(related);
  }

  const status = nextStatus(input, context, next, problem);
  next.status_id = status.id;
  next.status_category = status.category;

  checkTypeRules(input, current, next, problem);

  const wasResolved = before.status_category === 'resolved';
  const isResolved = status.category === 'resolved';
  if (isResolved && !next.resolution?.trim()) problem('resolution', 'is required to resolve a case (and cannot be blank)');
  if (isResolved && !wasResolved) next.resolved_at = now;
  if (!isResolved) next.resolved_at = null;

  const audit = current ? changedFields(before, next, context.currentStatus, status) : [];
  if (audit.length > 0) next.updated_at = now;
  return { next, status, problems, audit, resolved: isResolved && !wasResolved, reopened: Boolean(current) && wasResolved && !isResolved };
}

function nextStatus(input: UpdateCaseInput, context: PlanContext, next: CaseRow, problem: (name: string, description: string) => void): CaseStatus {
  const { current, currentStatus, requestedStatus } = context;
  let status = currentStatus ?? BUILT_IN_STATUS.new;
  if (input.status !== undefined) {
    if (!requestedStatus) problem('status', 'is not a status of this account');
    else if (requestedStatus.category === 'closed') throw closingIsAutomatic();
    else if (!requestedStatus.active && requestedStatus.id !== current?.status_id) problem('status', 'is deactivated');
    else if (current && current.status_category !== 'new' && requestedStatus.category === 'new') problem('status', 'a case never returns to new once it left it');
    else status = requestedStatus;
  }
  // A case with an assignee is being worked on: assigning a new case opens it in the same change.
  if (next.assignee_id !== null && status.category === 'new') status = BUILT_IN_STATUS.open;
  return status;
}

function checkTypeRules(input: UpdateCaseInput, current: CaseRow | undefined, next: CaseRow, problem: (name: string, description: string) => void): void {
  if (next.problem_id !== null && next.type !== 'incident') problem('problem_id', 'only incidents link a problem');
  if (next.problem_id !== null && next.problem_id === current?.id) problem('problem_id', 'a case cannot be its own problem');
  if (next.due_at !== null && next.type !== 'task') problem(input.due_date !== undefined ? 'due_date' : 'due_at', 'only tasks have a due date');
}

function mergeCustomFields(before: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...before };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

function changedFields(before: CaseRow, next: CaseRow, beforeStatus: CaseStatus | undefined, status: CaseStatus): NewAuditEntry[] {
  const entries: NewAuditEntry[] = [];
  if (before.status_id !== next.status_id) entries.push({ action: 'changed', field: 'status', old_value: beforeStatus?.name ?? before.status_id, new_value: status.name });
  for (const field of AUDITED_FIELDS) {
    if (before[field] === next[field]) continue;
    const json = field === 'custom_fields' || field === 'related';
    entries.push({
      action: 'changed',
      field,
      old_value: json ? parseJson(before[field]) : before[field],
      new_value: json ? parseJson(next[field]) : next[field],
    });
  }
  return entries;
}
