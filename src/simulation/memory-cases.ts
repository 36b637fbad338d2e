import type { Clock } from '../kernel/clock.js';
import { invalid, notFound } from '../kernel/errors.js';
import { BUILT_IN_STATUSES, noonIn, planChange, statusNameKey, type CaseRow, type CaseStatus, type CreateCaseInput, type NoteVisibility } from '../domains/cases/index.js';
import type { CaseChange, CaseRequests } from '../domains/flows/index.js';

/** A case create_case would have created. */
export interface SimulatedCase {
  case_id: string;
  fields: CreateCaseInput;
}

/** A change update_case would have made. */
export interface SimulatedCaseUpdate {
  case_id: string;
  changes: Omit<CaseChange, 'note'>;
  note: { body: string; visibility: NoteVisibility } | null;
}

/** The account's case status called `name` (case-insensitively), if there is one. */
export type CaseStatusLookup = (name: string) => Promise<CaseStatus | undefined>;

/** Without an account to ask, only the built-in statuses exist. */
export const builtInStatusNamed: CaseStatusLookup = (name) => Promise.resolve(BUILT_IN_STATUSES.find((status) => status.name === statusNameKey(name)));

/**
 * The cases a simulated run would write, kept in memory and reported instead of stored. The cases
 * domain's own rules apply (a known and active status, a resolution to resolve, a case never back
 * to `new`, due dates on tasks only, `closed` never set), so `failed` is taken where it would be
 * for real; what points at stored records (assignee, group, related ids) is not checked. Only the
 * cases the run created exist: any other id is not found.
 */
export class MemoryCases implements CaseRequests {
  readonly created: SimulatedCase[] = [];
  readonly updated: SimulatedCaseUpdate[] = [];
  private readonly cases = new Map<string, { row: CaseRow; status: CaseStatus }>();

  constructor(
    private readonly clock: Clock,
    private readonly statusNamed: CaseStatusLookup = builtInStatusNamed,
  ) {}

  async create(_accountId: string, _actor: string, fields: CreateCaseInput): Promise<{ id: string }> {
    const now = this.clock.now().toISOString();
    const requestedStatus = fields.status === undefined ? undefined : await this.statusNamed(fields.status);
    // The account's time zone is not known here; the due date only has to exist for the rules.
    const dueDateAt = fields.due_date === undefined || fields.due_date === null ? fields.due_date : noonIn(fields.due_date, 'UTC').toISOString();
    const plan = planChange(fields, { current: undefined, currentStatus: undefined, requestedStatus, dueDateAt, now });
    if (plan.problems.length > 0) throw invalid(plan.problems);
    const id = `simulated-case-${this.cases.size + 1}`;
    this.cases.set(id, { row: { ...plan.next, id }, status: plan.status });
    this.created.push({ case_id: id, fields });
    return { id };
  }

  async update(_accountId: string, _actor: string, caseId: string, { note, ...changes }: CaseChange): Promise<void> {
    const found = this.cases.get(caseId);
    if (!found) throw notFound('case');
    const requestedStatus = changes.status === undefined ? undefined : await this.statusNamed(changes.status);
    const now = this.clock.now().toISOString();
    const plan = planChange(changes, { current: found.row, currentStatus: found.status, requestedStatus, dueDateAt: undefined, now });
    if (plan.problems.length > 0) throw invalid(plan.problems);
    this.cases.set(caseId, { row: plan.next, status: plan.status });
    this.updated.push({ case_id: caseId, changes, note: note ?? null });
  }
}
