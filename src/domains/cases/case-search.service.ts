import { z } from 'zod';
import type { Storage } from '../../ports/storage.js';
import { DomainError, invalid, type FieldProblem } from '../../kernel/errors.js';
import { filterBound } from '../../kernel/clock.js';
import { decodeCursor, encodeCursor, type Page } from '../../kernel/page.js';
import type { CaseView } from './cases.model.js';
import { listedCaseView, type ListedCaseRow } from './case-view.js';
import type { CaseStatusesService } from './statuses.service.js';
import { CASE_SORTS, SORT_ORDERS, searchWords, type CaseFilters, type CasePosition, type CaseSort, type SortOrder } from './case-search.model.js';
import type { CaseListQuery } from './case-search.schema.js';
import { caseSearchRepo } from './case-search.repo.js';

export const DEFAULT_PER_PAGE = 50;
/**
 * Totals are exact up to this many cases; beyond, `total` is this and `total_exact` false. An
 * exact count of a large list reads every matching row (a million-case account: hundreds of
 * milliseconds), where the page itself reads fifty.
 */
export const TOTAL_LIMIT = 1000;

/** A page of cases and how many match the whole list (see TOTAL_LIMIT). */
export interface CasePage extends Page<CaseView> {
  perPage: number;
  totalExact: boolean;
}

const instant = z.iso.datetime();
/**
 * What a cursor holds: the sort and order it belongs to, the last row's sort values (its time, or
 * its priority rank and creation time) and id, and the count made for the first page (later
 * pages repeat it instead of counting again).
 */
const cursorSchema = z.object({
  sort: z.enum(CASE_SORTS),
  order: z.enum(SORT_ORDERS),
  key: z.union([z.tuple([instant]), z.tuple([z.number().int().min(0).max(4), instant])]),
  id: z.string().min(1).max(100),
  total: z.number().int().min(0).max(TOTAL_LIMIT + 1),
});
type Cursor = z.infer<typeof cursorSchema>;

const badCursor = (description: string) => new DomainError('validation_failed', `cursor ${description}`, [{ name: 'cursor', description }]);

const utc = (value: string | undefined) => (value === undefined ? undefined : filterBound(value));

/** `GET /cases`: filters, full text, sorts and keyset pages over an account's cases. */
export class CaseSearchService {
  constructor(
    private readonly storage: Storage,
    private readonly statuses: CaseStatusesService,
  ) {}

  async list(accountId: string, query: CaseListQuery): Promise<CasePage> {
    const perPage = perPageOf(query);
    const cursor = cursorOf(query);
    const filters = await this.filtersOf(accountId, query);
    const repo = caseSearchRepo(this.storage.db, this.storage.dialect);
    const fullText = filters.words ? await repo.fullText(filters.words, filters) : undefined;
    const after = cursor && positionOf(cursor);
    const rows = await repo.page(accountId, filters, fullText, { sort: query.sort, direction: query.order }, after, perPage + 1);
    // A first page that holds every match counts them itself; later pages repeat the first's count.
    const counted = cursor ? cursor.total : rows.length <= perPage ? rows.length : await repo.count(accountId, filters, fullText, TOTAL_LIMIT + 1);
    const items = rows.slice(0, perPage);
    const last = items[items.length - 1];
    const next = rows.length > perPage && last ? encodeCursor(nextCursor(query.sort, query.order, last, counted)) : undefined;
    return {
      items: items.map(listedCaseView),
      total: Math.min(counted, TOTAL_LIMIT),
      totalExact: counted <= TOTAL_LIMIT,
      next,
      perPage,
    };
  }

  /** Resolves names to ids and checks what the schema cannot (a status of this account, words in `q`, ranges). */
  private async filtersOf(accountId: string, query: CaseListQuery): Promise<CaseFilters> {
    const problems: FieldProblem[] = [];
    let statusId: string | undefined;
    if (query.status !== undefined) {
      statusId = (await this.statuses.byName(accountId, query.status))?.id;
      if (statusId === undefined) problems.push({ name: 'status', description: 'is not a status of this account' });
    }
    // A blank search box is no search; text without a single word in it is a mistake.
    const words = query.q === undefined || query.q.trim() === '' ? undefined : searchWords(query.q);
    if (words?.length === 0) problems.push({ name: 'q', description: 'must contain a word (letters or digits)' });
    const filters: CaseFilters = {
      statusId,
      statusCategory: query.status_category,
      priority: query.priority,
      type: query.type,
      assigneeId: query.assignee_id,
      groupId: query.group_id,
      problemId: query.problem_id,
      requesterId: query.requester_id,
      requesterEmail: query.requester_email,
      createdFrom: utc(query.created_from),
      createdTo: utc(query.created_to),
      updatedFrom: utc(query.updated_from),
      updatedTo: utc(query.updated_to),
      words,
      includeDeleted: query.include_deleted === 'true',
    };
    for (const [from, to, name] of [[filters.createdFrom, filters.createdTo, 'created_to'], [filters.updatedFrom, filters.updatedTo, 'updated_to']] as const) {
      if (from !== undefined && to !== undefined && to < from) problems.push({ name, description: `must not be before ${name.replace('_to', '_from')}` });
    }
    if (problems.length > 0) throw invalid(problems);
    return filters;
  }
}

function perPageOf(query: CaseListQuery): number {
  if (query.per_page !== undefined && query.limit !== undefined && query.per_page !== query.limit) {
    throw invalid([{ name: 'limit', description: 'is another name for per_page: give one of them' }]);
  }
  return query.per_page ?? query.limit ?? DEFAULT_PER_PAGE;
}

/** The request's cursor, which must come from a list in the same sort and order. */
function cursorOf(query: CaseListQuery): Cursor | undefined {
  const cursor = decodeCursor(query.cursor, cursorSchema);
  if (!cursor) return undefined;
  if (cursor.sort !== query.sort || cursor.order !== query.order) {
    throw badCursor(`belongs to a list sorted by ${cursor.sort} ${cursor.order}, not ${query.sort} ${query.order}`);
  }
  return cursor;
}

function positionOf(cursor: Cursor): CasePosition {
  const [first, second] = cursor.key;
  if (cursor.sort === 'priority' && typeof first === 'number' && second !== undefined) return { sort: 'priority', rank: first, createdAt: second, id: cursor.id };
  if (cursor.sort !== 'priority' && typeof first === 'string') return { sort: cursor.sort, at: first, id: cursor.id };
  throw badCursor('is not one this API issued');
}

function nextCursor(sort: CaseSort, order: SortOrder, last: ListedCaseRow, total: number): Cursor {
  const key: Cursor['key'] = sort === 'priority' ? [last.priority_rank, last.created_at] : [last[sort]];
  return { sort, order, key, id: last.id, total };
}
