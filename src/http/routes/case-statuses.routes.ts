import { z } from 'zod';
import { caseStatusSchema, createCaseStatusBody, updateCaseStatusBody } from '../../domains/cases/index.js';
import { principalOf } from '../auth.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';

const read = { auth: { scope: 'cases-public:read' as const } };
const write = { auth: { scope: 'cases-public:write' as const } };
const tags = ['cases'];
const params = z.object({ id: z.string().min(1).max(100) });

/** Case statuses: the six built-in ones (listed, never changed) and the account's custom ones. */
export const caseStatusesRoutes: RouteModule = (app, { cases: { statuses } }) => {
  app.get(
    '/case-statuses',
    { config: read, schema: { tags, summary: 'Built-in statuses first, then custom ones', querystring: z.strictObject(pageQuery), response: { 200: halListSchema('case_statuses', caseStatusSchema) } } },
    async (request) => {
      const { per_page, cursor } = request.query;
      return halList(request, 'case_statuses', await statuses.list(principalOf(request).accountId, cursor, per_page), per_page);
    },
  );

  app.post(
    '/case-statuses',
    { config: { ...write, idempotent: true }, schema: { tags, summary: 'Create a custom status', body: createCaseStatusBody, response: { 201: caseStatusSchema } } },
    async (request, reply) => {
      const created = await statuses.create(principalOf(request).accountId, request.body);
      return reply.code(201).header('location', `/case-statuses/${created.id}`).send(created);
    },
  );

  app.get('/case-statuses/:id', { config: read, schema: { tags, params, response: { 200: caseStatusSchema } } }, (request) =>
    statuses.get(principalOf(request).accountId, request.params.id),
  );

  app.patch(
    '/case-statuses/:id',
    { config: write, schema: { tags, summary: 'Rename, deactivate or reactivate a custom status (409 for built-ins)', params, body: updateCaseStatusBody, response: { 200: caseStatusSchema } } },
    (request) => statuses.update(principalOf(request).accountId, request.params.id, request.body),
  );
};
