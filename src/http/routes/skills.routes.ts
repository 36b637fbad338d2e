import { z } from 'zod';
import { createSkillBody, skillSchema, updateSkillBody } from '../../domains/directory/index.js';
import { decodeCursor } from '../../kernel/page.js';
import { principalOf } from '../auth.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';

const read = { auth: { scope: 'directory:read' as const } };
const write = { auth: { scope: 'directory:write' as const } };
const tags = ['directory'];
const params = z.object({ id: z.string().min(1).max(100) });

export const skillsRoutes: RouteModule = (app, { directory }) => {
  app.post(
    '/skills',
    { config: { ...write, idempotent: true }, schema: { tags, body: createSkillBody, response: { 201: skillSchema } } },
    async (request, reply) => reply.code(201).send(await directory.skills.create(principalOf(request).accountId, request.body)),
  );

  app.get(
    '/skills',
    { config: read, schema: { tags, querystring: z.strictObject(pageQuery), response: { 200: halListSchema('skills', skillSchema) } } },
    async (request) => {
      const { per_page, cursor } = request.query;
      const page = await directory.skills.list(principalOf(request).accountId, decodeCursor(cursor, z.string()), per_page);
      return halList(request, 'skills', page, per_page);
    },
  );

  app.get('/skills/:id', { config: read, schema: { tags, params, response: { 200: skillSchema } } }, (request) =>
    directory.skills.get(principalOf(request).accountId, request.params.id),
  );

  app.patch('/skills/:id', { config: write, schema: { tags, params, body: updateSkillBody, response: { 200: skillSchema } } }, (request) =>
    directory.skills.update(principalOf(request).accountId, request.params.id, request.body),
  );

  app.delete('/skills/:id', { config: write, schema: { tags, params } }, async (request, reply) => {
    await directory.skills.delete(principalOf(request).accountId, request.params.id);
    return reply.code(204).send();
  });
};
