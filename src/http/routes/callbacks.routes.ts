import { z } from 'zod';
import { callbackRequestBody, callbackSchema, callbacksQuery } from '../../domains/callbacks/index.js';
import { decodeCursor } from '../../kernel/page.js';
import { principalOf } from '../auth.js';
import { answerWithWork } from '../idempotency.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';
import { timeRange } from '../time-range.js';

/** A web form's two fields: far more than any real request, far less than the server-wide limit. */
const CALLBACK_BODY_LIMIT_BYTES = 16 * 1024;

const read = { auth: { scope: 'callbacks:read' as const } };
const write = { auth: { scope: 'callback:write' as const } };
const tags = ['callbacks'];
const params = z.object({ id: z.string().min(1).max(100) });

export const callbacksRoutes: RouteModule = (app, { callbacks }) => {
  app.post(
    '/rest/api/v1/callback',
    { bodyLimit: CALLBACK_BODY_LIMIT_BYTES, config: { ...write, idempotent: true }, schema: { tags, summary: 'Request a callback on a skill', body: callbackRequestBody, response: { 204: z.null().describe('Queued (or recorded on the callback already waiting)') } } },
    async (request, reply) => {
      await callbacks.request(principalOf(request).accountId, request.body.skill, request.body.callbackNumber, answerWithWork(request, reply.code(204)));
      return reply.send();
    },
  );

  app.get(
    '/callbacks',
    { config: read, schema: { tags, querystring: callbacksQuery.extend(pageQuery), response: { 200: halListSchema('callbacks', callbackSchema) } } },
    async (request) => {
      const { per_page, cursor, created_from, created_to, ...filters } = request.query;
      const after = decodeCursor(cursor, z.tuple([z.string(), z.string()]));
      const page = await callbacks.list(principalOf(request).accountId, { ...filters, ...timeRange('created', created_from, created_to) }, after, per_page);
      return halList(request, 'callbacks', page, per_page);
    },
  );

  app.get('/callbacks/:id', { config: read, schema: { tags, params, response: { 200: callbackSchema } } }, (request) =>
    callbacks.get(principalOf(request).accountId, request.params.id),
  );

  app.delete('/callbacks/:id', { config: write, schema: { tags, summary: 'Cancel a queued callback', params } }, async (request, reply) => {
    await callbacks.cancel(principalOf(request).accountId, request.params.id);
    return reply.code(204).send();
  });
};
