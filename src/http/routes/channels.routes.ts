import { z } from 'zod';
import { channelConfigBody, channelConfigSchema, channelIdSchema } from '../../domains/messaging/index.js';
import { principalOf } from '../auth.js';
import { DEFAULT_PER_PAGE, halList, halListSchema } from '../hal.js';
import type { RouteModule } from './route-module.js';

const read = { auth: { scope: 'messages:read' as const } };
const write = { auth: { scope: 'messages:write' as const } };
const tags = ['messaging'];
const params = z.object({ channel: channelIdSchema });

/** The account's providers per channel. Credentials are encrypted at rest and never read back: GET lists their names. */
export const channelsRoutes: RouteModule = (app, { messaging: { channels } }) => {
  app.put(
    '/channels/:channel',
    {
      config: write,
      schema: {
        tags, params, body: channelConfigBody, response: { 200: channelConfigSchema },
        summary: "Replace a channel's providers, tried in this order",
        description: 'appMessaging needs no provider (400). A provider failing repeatedly is skipped for a while and the next one used.',
      },
    },
    (request) => {
      const providers = request.body.providers.map(({ name, base_url, credentials, settings }) => ({ name, baseUrl: base_url ?? '', credentials, settings }));
      return channels.put(principalOf(request).accountId, request.params.channel, providers);
    },
  );

  app.get(
    '/channels',
    { config: read, schema: { tags, summary: 'Every configured channel with its providers (credential names only); appMessaging needs none', response: { 200: halListSchema('channels', channelConfigSchema) } } },
    async (request) => {
      // An account has fewer channels than a page holds: one page, always.
      const configured = await channels.list(principalOf(request).accountId);
      return halList(request, 'channels', { items: configured, total: configured.length, next: undefined }, DEFAULT_PER_PAGE);
    },
  );

  app.get('/channels/:channel', { config: read, schema: { tags, summary: "A channel's providers (credential names only)", params, response: { 200: channelConfigSchema } } }, (request) =>
    channels.get(principalOf(request).accountId, request.params.channel),
  );

  app.delete('/channels/:channel', { config: write, schema: { tags, summary: "Remove a channel's providers: sends skip it from now on", params } }, async (request, reply) => {
    await channels.remove(principalOf(request).accountId, request.params.channel);
    return reply.code(204).send();
  });
};
