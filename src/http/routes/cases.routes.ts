import { z } from 'zod';
import {
  auditEntrySchema, caseSchema, caseSettingsBody, caseSettingsSchema, createCaseBody, createNoteBody, noteSchema, updateCaseBody,
} from '../../domains/cases/index.js';
import { principalOf } from '../auth.js';
import { answerWithWork } from '../idempotency.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';

const read = { auth: { scope: 'cases-public:read' as const } };
const write = { auth: { scope: 'cases-public:write' as const } };
const tags = ['cases'];
const params = z.object({ id: z.string().min(1).max(100) });
const CONFLICTS = '409 `case_closed` on a closed case; 409 `conflict` on a case in the trash (restore it first)';

/** A case, its notes and audit trail, the trash, and the account's case settings. `GET /cases` is `cases-list.routes.ts`. */
export const casesRoutes: RouteModule = (app, { cases: { cases, settings } }) => {
  // Static, so `/cases/:id` never takes it.
  app.get('/cases/settings', { config: read, schema: { tags, summary: 'Case settings', response: { 200: caseSettingsSchema } } }, (request) =>
    settings.get(principalOf(request).accountId),
  );

  app.put(
    '/cases/settings',
    { config: write, schema: { tags, summary: 'Change case settings; a new auto-close delay applies to cases already resolved', body: caseSettingsBody, response: { 200: caseSettingsSchema } } },
    (request) => settings.put(principalOf(request).accountId, request.body),
  );

  app.post(
    '/cases',
    { config: { ...write, idempotent: true }, schema: { tags, summary: 'Create a case', body: createCaseBody, response: { 201: caseSchema } } },
    async (request, reply) => {
      const { accountId, actor } = principalOf(request);
      const created = await cases.create(accountId, actor, request.body, answerWithWork(request, reply.code(201)));
      return reply.header('location', `/cases/${created.id}`).send(created);
    },
  );

  app.get('/cases/:id', { config: read, schema: { tags, summary: 'A case (also while it is in the trash)', params, response: { 200: caseSchema } } }, (request) =>
    cases.get(principalOf(request).accountId, request.params.id),
  );

  app.patch(
    '/cases/:id',
    { config: write, schema: { tags, summary: 'Change a case', description: CONFLICTS, params, body: updateCaseBody, response: { 200: caseSchema } } },
    (request) => {
      const { accountId, actor } = principalOf(request);
      return cases.update(accountId, actor, request.params.id, request.body);
    },
  );

  app.delete('/cases/:id', { config: write, schema: { tags, summary: 'Move a case to the trash (purged after 30 days)', params } }, async (request, reply) => {
    const { accountId, actor } = principalOf(request);
    await cases.trash(accountId, actor, request.params.id);
    return reply.code(204).send();
  });

  app.post(
    '/cases/:id/restore',
    { config: write, schema: { tags, summary: 'Take a case out of the trash', params, response: { 200: caseSchema } } },
    (request) => {
      const { accountId, actor } = principalOf(request);
      return cases.restore(accountId, actor, request.params.id);
    },
  );

  app.post(
    '/cases/:id/notes',
    { config: { ...write, idempotent: true }, schema: { tags, summary: 'Add a note', description: CONFLICTS, params, body: createNoteBody, response: { 201: noteSchema } } },
    async (request, reply) => {
      const { accountId, actor } = principalOf(request);
      return reply.send(await cases.addNote(accountId, actor, request.params.id, request.body, answerWithWork(request, reply.code(201))));
    },
  );

  app.get(
    '/cases/:id/notes',
    { config: read, schema: { tags, summary: 'Notes, oldest first', params, querystring: z.strictObject(pageQuery), response: { 200: halListSchema('notes', noteSchema) } } },
    async (request) => {
      const { per_page, cursor } = request.query;
      return halList(request, 'notes', await cases.notes(principalOf(request).accountId, request.params.id, cursor, per_page), per_page);
    },
  );

  app.get(
    '/cases/:id/audit',
    { config: read, schema: { tags, summary: 'Audit trail, oldest first', params, querystring: z.strictObject(pageQuery), response: { 200: halListSchema('audit', auditEntrySchema) } } },
    async (request) => {
      const { per_page, cursor } = request.query;
      return halList(request, 'audit', await cases.audit(principalOf(request).accountId, request.params.id, cursor, per_page), per_page);
    },
  );
};
