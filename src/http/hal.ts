import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../kernel/errors.js';
import { firstPageOnly, queryInteger, type Page } from '../kernel/page.js';

/** A list's page size when the caller gives none. */
export const DEFAULT_PER_PAGE = 50;

/** Query parameters every HAL list accepts. */
export const pageQuery = {
  per_page: queryInteger.pipe(z.number().min(1).max(500)).default(DEFAULT_PER_PAGE),
  cursor: z.string().max(1000).optional(),
  page: firstPageOnly,
};

/** Parameters a cursor does not depend on: how many rows a page holds, and the cursor itself. */
const UNBOUND_PARAMETERS = new Set(['cursor', 'per_page', 'limit', 'page']);

/**
 * What a cursor is valid for: the list (route), the account and the filters and sort of the
 * request whose page it continues, in any order, whatever the page size.
 */
function listOf(request: FastifyRequest): string {
  const parameters = [...new URL(request.url, 'http://local').searchParams].filter(([name]) => !UNBOUND_PARAMETERS.has(name));
  parameters.sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1));
  const identity = JSON.stringify([request.routeOptions.url ?? '', request.principal?.accountId ?? '', parameters]);
  return createHash('sha256').update(identity).digest('base64url').slice(0, 12);
}

/**
 * The position a `cursor` parameter names, for the list's own decoding (a `preValidation` hook
 * for every route). A cursor issued for another list, account or set of filters is refused: it
 * would page through rows the filters exclude, or carry another list's count.
 */
export function openCursor(request: FastifyRequest, cursor: string): string {
  const dot = cursor.indexOf('.');
  if (dot < 0 || cursor.slice(0, dot) !== listOf(request)) {
    throw new DomainError('validation_failed', 'cursor was not issued for this list with these filters: follow a next link as given', [
      { name: 'cursor', description: 'was not issued for this list with these filters' },
    ]);
  }
  return cursor.slice(dot + 1);
}

export function halList<T>(request: FastifyRequest, plural: string, page: Page<T>, perPage: number) {
  const self = request.url;
  const links: { self: { href: string }; next?: { href: string } } = { self: { href: self } };
  if (page.next) {
    const url = new URL(self, 'http://local');
    url.searchParams.set('cursor', `${listOf(request)}.${page.next}`);
    links.next = { href: `${url.pathname}${url.search}` };
  }
  return { total: page.total, count: page.items.length, per_page: perPage, _embedded: { [plural]: page.items }, _links: links };
}

export const halListSchema = <T extends z.ZodType>(plural: string, item: T) =>
  z.object({
    total: z.number(),
    count: z.number(),
    per_page: z.number(),
    _embedded: z.object({ [plural]: z.array(item) }),
    _links: z.object({ self: z.object({ href: z.string() }), next: z.object({ href: z.string() }).optional() }),
  });
