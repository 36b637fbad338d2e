import { z } from 'zod';
import { callSchema, callsQuery, type CallRecord } from '../../domains/continuity/index.js';
import { decodeCursor } from '../../kernel/page.js';
import { principalOf } from '../auth.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';
import { timeRange } from '../time-range.js';

const read = { auth: { scope: 'calls:read' as const } };
const tags = ['calls'];

export const callView = (call: CallRecord) => {
  const { updated_at: _updatedAt, ...rest } = call;
  return { ...rest, call_id: call.id };
};

export const callsRoutes: RouteModule = (app, { calls }) => {
  app.get(
    '/calls',
    { config: read, schema: { tags, querystring: callsQuery.extend(pageQuery), response: { 200: halListSchema('calls', callSchema) } } },
    async (request) => {
      const { per_page, cursor, started_from, started_to, ...filters } = request.query;
      const after = decodeCursor(cursor, z.tuple([z.string(), z.string()]));
      const page = await calls.list(principalOf(request).accountId, { ...filters, ...timeRange('started', started_from, started_to) }, after, per_page);
      return halList(request, 'calls', { ...page, items: page.items.map(callView) }, per_page);
    },
  );

  app.get(
    '/calls/:call_id',
    { config: read, schema: { tags, params: z.object({ call_id: z.string().min(1).max(200) }), response: { 200: callSchema } } },
    async (request) => callView(await calls.get(principalOf(request).accountId, request.params.call_id)),
  );
};
