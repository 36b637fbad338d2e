import { z } from 'zod';
import { createGroupBody, groupSchema, updateGroupBody } from '../../domains/directory/index.js';
import { decodeCursor } from '../../kernel/page.js';
import { principalOf } from '../auth.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';

const read = { auth: { scope: 'directory:read' as const } };
const write = { auth: { scope: 'directory:write' as const } };
const tags = ['directory'];
const params = z.object({ id: z.string().min(1).max(100) });

export const groupsRoutes: RouteModule = (app, { directory }) => {
  app.post(
    '/groups',
    { config: { ...write, idempotent: true }, schema: { tags, body: createGroupBody, response: { 201: groupSchema } } },
    async (request, reply) => reply.code(201).send(await directory.groups.create(principalOf(request).accountId, request.body)),
  );

  app.get(
    '/groups',
    { config: read, schema: { tags, querystring: z.strictObject(pageQuery), response: { 200: halListSchema('groups', groupSchema) } } },
    async (request) => {
      const { per_page, cursor } = request.query;
      const page = await directory.groups.list(principalOf(request).accountId, decodeCursor(cursor, z.string()), per_page);
      return halList(request, 'groups', page, per_page);
    },
  );

  app.get('/groups/:id', { config: read, schema: { tags, params, response: { 200: groupSchema } } }, (request) =>
    directory.groups.get(principalOf(request).accountId, request.params.id),
  );

  app.patch('/groups/:id', { config: write, schema: { tags, params, body: updateGroupBody, response: { 200: groupSchema } } }, (request) =>
    directory.groups.update(principalOf(request).accountId, request.params.id, request.body),
  );

  app.delete('/groups/:id', { config: write, schema: { tags, params } }, async (request, reply) => {
    await directory.groups.delete(principalOf(request).accountId, request.params.id);
    return reply.code(204).send();
  });
};
