import { z } from 'zod';
import {
  createdWebhookSchema, createWebhookBody, deliveriesQuery, deliverySchema, updateWebhookBody, WEBHOOK_SCOPES, webhookSchema,
} from '../../domains/webhooks/index.js';
import { principalOf } from '../auth.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';

/**
 * Any scope of an event family opens these routes; creating, changing or deleting an endpoint
 * also takes a scope of every family it subscribes to (the service checks, before and after).
 */
const auth = { auth: { anyScope: WEBHOOK_SCOPES } };
const tags = ['webhooks'];
const params = z.object({ id: z.string().min(1).max(100) });
const SCOPES_NOTE = 'Needs a scope of each event family the endpoint subscribes to: `message.*` messages:read|write, `case.*` cases-public:read|write, `interaction.*` flows:read or flows-interactions:start, `callback.*` callbacks:read or callback:write, `continuity.*` a continuity-settings scope.';

/**
 * Outbound webhooks (API.md, Webhooks). `POST /webhooks/{channel}` (providers' status callbacks)
 * belongs to messaging; these routes never take a second path segment on POST, so both coexist.
 * Creating honours Idempotency-Key like every creating POST; the replay copy, which holds the
 * secret, is stored sealed.
 */
export const webhooksRoutes: RouteModule = (app, { webhooks }) => {
  app.post(
    '/webhooks',
    { config: { ...auth, idempotent: 'sealed' }, schema: { tags, summary: 'Register a webhook endpoint (the secret is shown once, here)', description: SCOPES_NOTE, body: createWebhookBody, response: { 201: createdWebhookSchema } } },
    async (request, reply) => {
      const principal = principalOf(request);
      return reply.code(201).send(await webhooks.create(principal.accountId, request.body, principal.scopes));
    },
  );

  app.get(
    '/webhooks',
    { config: auth, schema: { tags, summary: "The account's webhook endpoints", querystring: z.strictObject(pageQuery), response: { 200: halListSchema('webhooks', webhookSchema) } } },
    async (request) => {
      const { per_page, cursor } = request.query;
      return halList(request, 'webhooks', await webhooks.list(principalOf(request).accountId, cursor, per_page), per_page);
    },
  );

  app.get('/webhooks/:id', { config: auth, schema: { tags, params, response: { 200: webhookSchema } } }, (request) =>
    webhooks.get(principalOf(request).accountId, request.params.id),
  );

  app.patch(
    '/webhooks/:id',
    { config: auth, schema: { tags, summary: 'Change the URL, events or enabled flag (disabling cancels pending deliveries)', description: SCOPES_NOTE, params, body: updateWebhookBody, response: { 200: webhookSchema } } },
    (request) => {
      const principal = principalOf(request);
      return webhooks.update(principal.accountId, request.params.id, request.body, principal.scopes);
    },
  );

  app.delete('/webhooks/:id', { config: auth, schema: { tags, summary: 'Delete an endpoint and cancel its pending deliveries', description: SCOPES_NOTE, params } }, async (request, reply) => {
    const principal = principalOf(request);
    await webhooks.delete(principal.accountId, request.params.id, principal.scopes);
    return reply.code(204).send();
  });

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: auth,
      schema: {
        tags, summary: "The endpoint's deliveries, newest first, with every attempt", params,
        querystring: z.strictObject({ ...pageQuery, ...deliveriesQuery }),
        response: { 200: halListSchema('deliveries', deliverySchema) },
      },
    },
    async (request) => {
      const { per_page, cursor, status } = request.query;
      const page = await webhooks.deliveries(principalOf(request).accountId, request.params.id, status, cursor, per_page);
      return halList(request, 'deliveries', page, per_page);
    },
  );
};
