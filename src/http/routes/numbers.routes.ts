import { z } from 'zod';
import { createNumberBody, e164, numberSchema, updateNumberBody } from '../../domains/directory/index.js';
import { decodeCursor } from '../../kernel/page.js';
import { principalOf } from '../auth.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';

const read = { auth: { scope: 'directory:read' as const } };
const write = { auth: { scope: 'directory:write' as const } };
const tags = ['directory'];
const params = z.object({ number: e164 });

export const numbersRoutes: RouteModule = (app, { directory }) => {
  app.post(
    '/numbers',
    { config: { ...write, idempotent: true }, schema: { tags, body: createNumberBody, response: { 201: numberSchema } } },
    async (request, reply) => reply.code(201).send(await directory.numbers.create(principalOf(request).accountId, request.body)),
  );

  app.get(
    '/numbers',
    { config: read, schema: { tags, querystring: z.strictObject(pageQuery), response: { 200: halListSchema('numbers', numberSchema) } } },
    async (request) => {
      const { per_page, cursor } = request.query;
      const page = await directory.numbers.list(principalOf(request).accountId, decodeCursor(cursor, z.string()), per_page);
      return halList(request, 'numbers', page, per_page);
    },
  );

  app.get('/numbers/:number', { config: read, schema: { tags, params, response: { 200: numberSchema } } }, (request) =>
    directory.numbers.get(principalOf(request).accountId, request.params.number),
  );

  app.patch('/numbers/:number', { config: write, schema: { tags, params, body: updateNumberBody, response: { 200: numberSchema } } }, (request) =>
    directory.numbers.update(principalOf(request).accountId, request.params.number, request.body),
  );

  app.delete('/numbers/:number', { config: write, schema: { tags, params } }, async (request, reply) => {
    await directory.numbers.delete(principalOf(request), request.params.number);
    return reply.code(204).send();
  });
};
