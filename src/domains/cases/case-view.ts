import type { Selectable } from 'kysely';
import type { Database } from '../../ports/storage.js';
import { parseJson } from '../../kernel/json.js';
import type { CasePriority, CaseRelated, CaseType, CaseView, StatusCategory } from './cases.model.js';

export type CaseRow = Selectable<Database['cases']>;

/**
 * A case as lists and `GET /cases/{id}` read it: every column but `search_text`, which is never
 * shown and can be large, and the name of its status when it is a custom one (a built-in status's
 * id is its name).
 */
export type ListedCaseRow = Omit<CaseRow, 'search_text'> & { custom_status_name: string | null };

/** Renders a stored case; `statusName` is the name of its status (built-in ids are their names). */
export function toCaseView(row: Omit<CaseRow, 'search_text'>, statusName: string): CaseView {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: statusName,
    status_category: row.status_category as StatusCategory,
    type: row.type as CaseType,
    priority: row.priority as CasePriority | null,
    requester_id: row.requester_id,
    requester_name: row.requester_name,
    requester_email: row.requester_email,
    requester_phone: row.requester_phone,
    assignee_id: row.assignee_id,
    group_id: row.group_id,
    problem_id: row.problem_id,
    due_at: row.due_at,
    resolution: row.resolution,
    custom_fields: parseJson<Record<string, unknown>>(row.custom_fields),
    channel: row.channel,
    related: parseJson<CaseRelated>(row.related),
    created_at: row.created_at,
    updated_at: row.updated_at,
    resolved_at: row.resolved_at,
    closed_at: row.closed_at,
    deleted_at: row.deleted_at,
  };
}

/** Renders a case read with its status's name. */
export const listedCaseView = (row: ListedCaseRow): CaseView => toCaseView(row, row.custom_status_name ?? row.status_id);
