/** The kinds of case; only incidents link a problem, only tasks have a due time. */
export const CASE_TYPES = ['question', 'incident', 'problem', 'task'] as const;
export type CaseType = (typeof CASE_TYPES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type CasePriority = (typeof PRIORITIES)[number];

/** What sorting by priority orders on: no priority ranks below `low`. */
export const PRIORITY_RANK = { low: 1, normal: 2, high: 3, urgent: 4 } as const satisfies Record<CasePriority, number>;
export const NO_PRIORITY_RANK = 0;
export const priorityRank = (priority: CasePriority | null): number => (priority === null ? NO_PRIORITY_RANK : PRIORITY_RANK[priority]);

/** Every status belongs to one category; each category has a built-in status of the same name and id. */
export const STATUS_CATEGORIES = ['new', 'open', 'pending', 'on_hold', 'resolved', 'closed'] as const;
export type StatusCategory = (typeof STATUS_CATEGORIES)[number];

/** `closed` is reached only by auto-close, so custom statuses take one of the other five categories. */
export const CUSTOM_STATUS_CATEGORIES = ['new', 'open', 'pending', 'on_hold', 'resolved'] as const satisfies readonly StatusCategory[];
export type CustomStatusCategory = (typeof CUSTOM_STATUS_CATEGORIES)[number];

export interface CaseStatus {
  id: string;
  name: string;
  category: StatusCategory;
  active: boolean;
  built_in: boolean;
}

/** The built-in statuses: not rows, always active, their ids and names are their categories. */
export const BUILT_IN_STATUSES: readonly CaseStatus[] = STATUS_CATEGORIES.map((category) => ({
  id: category, name: category, category, active: true, built_in: true,
}));

export const isBuiltInStatusId = (id: string): id is StatusCategory => (STATUS_CATEGORIES as readonly string[]).includes(id);

/** Ids of the calls, flow interactions, messages and callbacks a case is about. */
export interface CaseRelated {
  calls: string[];
  interactions: string[];
  messages: string[];
  callbacks: string[];
}
export const RELATED_KINDS = ['calls', 'interactions', 'messages', 'callbacks'] as const satisfies readonly (keyof CaseRelated)[];
export const emptyRelated = (): CaseRelated => ({ calls: [], interactions: [], messages: [], callbacks: [] });

/** A case as the API renders it. */
export interface CaseView {
  id: string;
  title: string;
  description: string | null;
  /** The status's name. */
  status: string;
  status_category: StatusCategory;
  type: CaseType;
  priority: CasePriority | null;
  requester_id: string | null;
  requester_name: string | null;
  requester_email: string | null;
  requester_phone: string | null;
  assignee_id: string | null;
  group_id: string | null;
  problem_id: string | null;
  due_at: string | null;
  resolution: string | null;
  custom_fields: Record<string, unknown>;
  channel: string | null;
  related: CaseRelated;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  closed_at: string | null;
  deleted_at: string | null;
}

export const NOTE_VISIBILITIES = ['public', 'internal'] as const;
export type NoteVisibility = (typeof NOTE_VISIBILITIES)[number];

export interface CaseNote {
  id: string;
  case_id: string;
  body: string;
  visibility: NoteVisibility;
  author: string;
  created_at: string;
}

export interface CaseAuditEntry {
  id: string;
  case_id: string;
  /** The OAuth client (or service token) that made the change, or `system` for automation. */
  actor: string;
  action: string;
  field: string | null;
  old_value: unknown;
  new_value: unknown;
  detail: string | null;
  created_at: string;
}

export interface CaseSettings {
  auto_close_after_days: number;
}
export const CASE_SETTINGS_DEFAULTS: CaseSettings = { auto_close_after_days: 4 };
export const AUTO_CLOSE_DAYS = { min: 1, max: 28 } as const;

/** The actor recorded for changes made by automation (auto-close, trash purge). */
export const SYSTEM_ACTOR = 'system';

/** The built-in status of each category. */
export const BUILT_IN_STATUS = Object.fromEntries(BUILT_IN_STATUSES.map((status) => [status.category, status])) as Record<StatusCategory, CaseStatus>;

/** The search text the full-text indexes cover: title, description and every note body in creation order. */
export const buildSearchText = (title: string, description: string | null, noteBodies: readonly string[]): string =>
  // Composed (NFC), as query words are: `café` typed either way finds `café` written either way.
  [title, description ?? '', ...noteBodies].join('\n').normalize('NFC');
