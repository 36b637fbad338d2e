import { z } from 'zod';
import { appTokenSchema, profileBody, profileIdSchema, profileSchema } from '../../domains/messaging/index.js';
import { principalOf } from '../auth.js';
import type { RouteModule } from './route-module.js';

const read = { auth: { scope: 'messages:read' as const } };
const write = { auth: { scope: 'messages:write' as const } };
const tags = ['messaging'];
const params = z.object({ profileId: profileIdSchema });

/** Customer profiles: the addresses and consent a send fills `to` from, and the app token of the customer's app. */
export const profilesRoutes: RouteModule = (app, { messaging: { profiles } }) => {
  app.put(
    '/profiles/:profileId',
    { config: write, schema: { tags, summary: "Create or replace a customer's profile (its app token is kept)", params, body: profileBody, response: { 200: profileSchema } } },
    (request) => profiles.put(principalOf(request).accountId, request.params.profileId, request.body),
  );

  app.get('/profiles/:profileId', { config: read, schema: { tags, summary: "A customer's profile", params, response: { 200: profileSchema } } }, (request) =>
    profiles.get(principalOf(request).accountId, request.params.profileId),
  );

  app.delete('/profiles/:profileId', { config: write, schema: { tags, summary: "Delete a customer's profile (its app token stops working)", params } }, async (request, reply) => {
    await profiles.remove(principalOf(request).accountId, request.params.profileId);
    return reply.code(204).send();
  });

  app.post(
    '/profiles/:profileId/app-token',
    {
      // A retry with the same Idempotency-Key gets the token issued first instead of revoking it.
      config: { ...write, idempotent: 'sealed' },
      schema: {
        tags, params, response: { 201: appTokenSchema },
        summary: "Issue the token the customer's app uses for GET /app/stream and POST /app/receipts",
        description: 'Shown once; only its hash is stored. Issuing a new token revokes the previous one.',
      },
    },
    async (request, reply) => reply.code(201).send(await profiles.issueAppToken(principalOf(request).accountId, request.params.profileId)),
  );

  app.delete('/profiles/:profileId/app-token', { config: write, schema: { tags, summary: "Revoke the profile's app token (immediately)", params } }, async (request, reply) => {
    await profiles.revokeAppToken(principalOf(request).accountId, request.params.profileId);
    return reply.code(204).send();
  });
};
