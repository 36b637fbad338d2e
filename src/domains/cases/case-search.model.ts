import type { CasePriority, CaseType, StatusCategory } from './cases.model.js';

export const CASE_SORTS = ['created_at', 'updated_at', 'priority'] as const;
export type CaseSort = (typeof CASE_SORTS)[number];
export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** What a list keeps: every field given must hold. Instants are UTC ISO strings, `*_to` exclusive. */
export interface CaseFilters {
  statusId?: string | undefined;
  statusCategory?: StatusCategory | undefined;
  priority?: CasePriority | undefined;
  type?: CaseType | undefined;
  assigneeId?: string | undefined;
  groupId?: string | undefined;
  problemId?: string | undefined;
  requesterId?: string | undefined;
  requesterEmail?: string | undefined;
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
  updatedFrom?: string | undefined;
  updatedTo?: string | undefined;
  /** Full-text words (see `searchWords`); every one must occur. */
  words?: string[] | undefined;
  includeDeleted: boolean;
}

/** Where a page starts: after the row with these sort values and id, in the list's order. */
export type CasePosition =
  | { sort: 'created_at' | 'updated_at'; at: string; id: string }
  | { sort: 'priority'; rank: number; createdAt: string; id: string };

/**
 * The words of a full-text query: runs of letters and digits (with their combining marks), as
 * both databases index them (see migration 0008). Case is left to the database, which folds it the
 * same way for the text.
 */
export function searchWords(q: string): string[] {
  return q.normalize('NFC').split(/[^\p{L}\p{N}\p{M}]+/u).filter((word) => word !== '');
}
