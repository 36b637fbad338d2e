import { z } from 'zod';
import { agentFilterQuery, agentSchema, agentStatusBody, createAgentBody, updateAgentBody } from '../../domains/directory/index.js';
import { decodeCursor } from '../../kernel/page.js';
import { principalOf } from '../auth.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';

const read = { auth: { scope: 'directory:read' as const } };
const write = { auth: { scope: 'directory:write' as const } };
const tags = ['directory'];
const params = z.object({ id: z.string().min(1).max(100) });

export const agentsRoutes: RouteModule = (app, { directory }) => {
  app.post(
    '/agents',
    { config: { ...write, idempotent: true }, schema: { tags, body: createAgentBody, response: { 201: agentSchema } } },
    async (request, reply) => reply.code(201).send(await directory.agents.create(principalOf(request).accountId, request.body)),
  );

  app.get(
    '/agents',
    {
      config: read,
      schema: { tags, querystring: z.strictObject({ ...pageQuery, ...agentFilterQuery }), response: { 200: halListSchema('agents', agentSchema) } },
    },
    async (request) => {
      const { per_page, cursor, status, skill } = request.query;
      const page = await directory.agents.list(principalOf(request).accountId, { status, skill }, decodeCursor(cursor, z.string()), per_page);
      return halList(request, 'agents', page, per_page);
    },
  );

  app.get('/agents/:id', { config: read, schema: { tags, params, response: { 200: agentSchema } } }, (request) =>
    directory.agents.get(principalOf(request).accountId, request.params.id),
  );

  app.patch('/agents/:id', { config: write, schema: { tags, params, body: updateAgentBody, response: { 200: agentSchema } } }, (request) =>
    directory.agents.update(principalOf(request).accountId, request.params.id, request.body),
  );

  app.put(
    '/agents/:id/status',
    { config: write, schema: { tags, summary: "Set an agent's availability", params, body: agentStatusBody, response: { 200: agentSchema } } },
    (request) => directory.agents.setStatus(principalOf(request).accountId, request.params.id, request.body.status),
  );

  app.delete('/agents/:id', { config: write, schema: { tags, params } }, async (request, reply) => {
    await directory.agents.delete(principalOf(request).accountId, request.params.id);
    return reply.code(204).send();
  });
};
