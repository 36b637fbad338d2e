import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  activationBody,
  activationResponse,
  auditEntrySchema,
  inboundCallBody,
  routedCallResponse,
  settingsBody,
  settingsResponse,
  type FallbackSettings,
} from '../../domains/continuity/index.js';
import { decodeCursor } from '../../kernel/page.js';
import { principalOf } from '../auth.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';

const tags = ['continuity'];

/**
 * The forward map can hold 100,000 entries: validating our own answer against the response
 * schema again would cost more than storing it, so it is serialised directly (the schema still
 * documents it).
 */
const sendSettings = (reply: FastifyReply, settings: FallbackSettings) => reply.type('application/json; charset=utf-8').send(JSON.stringify(settings));

export const continuityRoutes: RouteModule = (app, { continuity }) => {
  app.get(
    '/fallback-experience/settings',
    { config: { auth: { scope: 'continuity-settings:read' } }, schema: { tags, response: { 200: settingsResponse } } },
    async (request, reply) => sendSettings(reply, await continuity.getSettings(principalOf(request).accountId)),
  );

  app.put(
    '/fallback-experience/settings',
    {
      config: { auth: { scope: 'continuity-settings:write' } },
      schema: { tags, summary: 'Replace the Fallback Experience settings', body: settingsBody, response: { 200: settingsResponse } },
    },
    async (request, reply) => sendSettings(reply, await continuity.putSettings(principalOf(request), request.body)),
  );

  app.get(
    '/fallback-experience/activation',
    { config: { auth: { scope: 'continuity-settings-activation:read' } }, schema: { tags, response: { 200: activationResponse } } },
    (request) => continuity.getActivation(principalOf(request).accountId),
  );

  app.put(
    '/fallback-experience/activation',
    {
      config: { auth: { scope: 'continuity-settings-activation:write' } },
      schema: { tags, summary: 'Enable or disable the Fallback Experience', body: activationBody, response: { 200: activationResponse } },
    },
    (request) => continuity.setActivation(principalOf(request), request.body.enabled),
  );

  app.get(
    '/fallback-experience/audit',
    {
      config: { auth: { scope: 'continuity-settings:read' } },
      schema: { tags, querystring: z.strictObject(pageQuery), response: { 200: halListSchema('entries', auditEntrySchema) } },
    },
    async (request) => {
      const { per_page, cursor } = request.query;
      const page = await continuity.audit(principalOf(request).accountId, decodeCursor(cursor, z.string()), per_page);
      return halList(request, 'entries', page, per_page);
    },
  );

  app.post(
    '/telephony/inbound-calls',
    {
      config: { auth: { scope: 'telephony:route' } },
      schema: {
        tags: ['telephony'],
        summary: 'Routing hook: the decision for a newly arriving call',
        body: inboundCallBody,
        response: { 200: routedCallResponse },
      },
    },
    (request) => {
      const { call_id, from, to } = request.body;
      return continuity.route({ accountId: principalOf(request).accountId, callId: call_id, from, to });
    },
  );
};
