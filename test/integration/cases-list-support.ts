import { expect } from 'vitest';
import type { ManualClock } from '../../src/kernel/clock.js';
import type { TestAccount, TestApp } from '../support/harness.js';

/** Helpers shared by the `GET /cases` tests: cases made through the public API, pages walked by cursor. */
export interface Listed {
  id: string;
  title: string;
  status: string;
  status_category: string;
  priority: string | null;
  type: string;
  assignee_id: string | null;
  group_id: string | null;
  requester_id: string | null;
  requester_email: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface ListPage {
  total: number;
  total_exact: boolean;
  count: number;
  per_page: number;
  _embedded: { cases: Listed[] };
  _links: { self: { href: string }; next?: { href: string } };
}

export function casesApi(t: TestApp, clock: ManualClock) {
  return {
    async create(acct: TestAccount, body: Record<string, unknown>, advanceMs = 1000): Promise<Listed> {
      clock.advance(advanceMs);
      const response = await t.post('/cases', body, acct.token);
      expect(response.status, response.text).toBe(201);
      return response.body as Listed;
    },
    async patch(acct: TestAccount, id: string, body: Record<string, unknown>, advanceMs = 1000): Promise<Listed> {
      clock.advance(advanceMs);
      const response = await t.patch(`/cases/${id}`, body, acct.token);
      expect(response.status, response.text).toBe(200);
      return response.body as Listed;
    },
    async note(acct: TestAccount, id: string, body: string): Promise<void> {
      const response = await t.post(`/cases/${id}/notes`, { body }, acct.token);
      expect(response.status, response.text).toBe(201);
    },
    async agent(acct: TestAccount, name: string): Promise<string> {
      const response = await t.post('/agents', { name }, acct.token);
      expect(response.status, response.text).toBe(201);
      return response.body.id as string;
    },
    async group(acct: TestAccount, name: string): Promise<string> {
      const response = await t.post('/groups', { name }, acct.token);
      expect(response.status, response.text).toBe(201);
      return response.body.id as string;
    },
    async status(acct: TestAccount, name: string, category: string): Promise<void> {
      const response = await t.post('/case-statuses', { name, category }, acct.token);
      expect(response.status, response.text).toBe(201);
    },
    /** One page; anything but 200 fails the test with the problem's text. */
    async page(acct: TestAccount, query: string): Promise<ListPage> {
      const response = await t.get(`/cases${query}`, acct.token);
      expect(response.status, `${query}: ${response.text}`).toBe(200);
      return response.body as ListPage;
    },
    /** Every page of a list, following `_links.next`; fails on a page that repeats a case. */
    async all(acct: TestAccount, query: string): Promise<{ cases: Listed[]; pages: ListPage[] }> {
      const pages: ListPage[] = [];
      let href: string | undefined = `/cases${query}`;
      while (href !== undefined) {
        const response = await t.get(href, acct.token);
        expect(response.status, `${href}: ${response.text}`).toBe(200);
        const page = response.body as ListPage;
        pages.push(page);
        href = page._links.next?.href;
        expect(pages.length).toBeLessThan(1000);
      }
      const cases = pages.flatMap((p) => p._embedded.cases);
      expect(new Set(cases.map((c) => c.id)).size, 'no case on two pages').toBe(cases.length);
      return { cases, pages };
    },
    async problem(acct: TestAccount, query: string): Promise<string[]> {
      const response = await t.get(`/cases${query}`, acct.token);
      expect(response.status, `${query}: ${response.text}`).toBe(400);
      expect(response.body.code).toBe('validation_failed');
      return (response.body.fields as { name: string }[]).map((f) => f.name).sort();
    },
  };
}

export const ids = (cases: readonly { id: string }[]) => cases.map((c) => c.id);
export const sortedIds = (cases: readonly { id: string }[]) => ids(cases).sort();
