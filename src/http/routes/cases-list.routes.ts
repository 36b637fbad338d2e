import { z } from 'zod';
import { caseListQuery, caseSchema } from '../../domains/cases/index.js';
import { principalOf } from '../auth.js';
import { halList, halListSchema } from '../hal.js';
import type { RouteModule } from './route-module.js';

const read = { auth: { scope: 'cases-public:read' as const } };

const caseListSchema = halListSchema('cases', caseSchema).extend({
  total_exact: z.boolean().describe('false when more than 1,000 cases match: `total` is then 1,000'),
});

/** `GET /cases`; a case itself, its notes and statuses are in cases.routes.ts. */
export const casesListRoutes: RouteModule = (app, { caseSearch }) => {
  app.get(
    '/cases',
    {
      config: read,
      schema: {
        tags: ['cases'],
        summary: 'List cases: filters, full text (q), sorts and keyset pages (cursor)',
        querystring: caseListQuery,
        response: { 200: caseListSchema },
      },
    },
    async (request) => {
      const page = await caseSearch.list(principalOf(request).accountId, request.query);
      return { ...halList(request, 'cases', page, page.perPage), total_exact: page.totalExact };
    },
  );
};
