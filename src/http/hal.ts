import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { firstPageOnly, type Page } from '../kernel/page.js';

/** A list's page size when the caller gives none. */
export const DEFAULT_PER_PAGE = 50;

/** Query parameters every HAL list accepts. */
export const pageQuery = {
  per_page: z.coerce.number().int().min(1).max(500).default(DEFAULT_PER_PAGE),
  cursor: z.string().max(1000).optional(),
  page: firstPageOnly,
};

export function halList<T>(request: FastifyRequest, plural: string, page: Page<T>, perPage: number) {
  const self = request.url;
  const links: { self: { href: string }; next?: { href: string } } = { self: { href: self } };
  if (page.next) {
    const url = new URL(self, 'http://local');
    url.searchParams.set('cursor', page.next);
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
