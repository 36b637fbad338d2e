import { z } from 'zod';
import { CASE_TYPES, PRIORITIES, STATUS_CATEGORIES } from './cases.model.js';
import { CASE_SORTS, SORT_ORDERS } from './case-search.model.js';
import { firstPageOnly, queryInteger } from '../../kernel/page.js';

const id = z.string().min(1).max(100);
const instant = z.iso.datetime({ offset: true }).describe('ISO-8601 with a time zone, e.g. 2026-11-21T10:00:00Z');
const perPage = queryInteger.pipe(z.number().min(1).max(500));

/**
 * `GET /cases`: every filter optional and combinable (all must hold). `*_from` bounds are
 * inclusive and `*_to` bounds exclusive. `per_page` (alias `limit`) is 1..500, default 50.
 */
export const caseListQuery = z.strictObject({
  status: z.string().trim().min(1).max(100).optional().describe('a status name (case-insensitive), built-in or custom'),
  status_category: z.enum(STATUS_CATEGORIES).optional(),
  priority: z.enum(PRIORITIES).optional(),
  type: z.enum(CASE_TYPES).optional(),
  assignee_id: id.optional(),
  group_id: id.optional(),
  problem_id: id.optional().describe("a problem's incidents"),
  requester_id: id.optional(),
  requester_email: z.string().trim().min(1).max(254).optional().describe('exact address, case-insensitive'),
  created_from: instant.optional(),
  created_to: instant.optional(),
  updated_from: instant.optional(),
  updated_to: instant.optional(),
  q: z
    .string()
    .max(500)
    .optional()
    .describe('full text over title, description and notes: every word must occur (whole words, case-insensitive, no stemming)'),
  include_deleted: z.enum(['true', 'false']).optional().describe('true: cases in the trash are listed too'),
  sort: z.enum(CASE_SORTS).default('created_at'),
  order: z.enum(SORT_ORDERS).default('desc'),
  per_page: perPage.optional(),
  limit: perPage.optional().describe('the same as per_page'),
  cursor: z.string().max(1000).optional(),
  page: firstPageOnly,
});

export type CaseListQuery = z.output<typeof caseListQuery>;
