import { z } from 'zod';
import { messageSchema, messagesQuery, sendMessageBody, sendMessageResult } from '../../domains/messaging/index.js';
import { decodeCursor } from '../../kernel/page.js';
import { principalOf } from '../auth.js';
import { answerWithWork } from '../idempotency.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';
import { timeRange } from '../time-range.js';

const read = { auth: { scope: 'messages:read' as const } };
const write = { auth: { scope: 'messages:write' as const } };
const tags = ['messaging'];
const params = z.object({ messageId: z.string().min(1).max(100) });

const SEND_DESCRIPTION = [
  'Channels are tried in `rules` order. A channel is skipped (with the reason in `statusDetails`) when there is no address for it',
  'in `to` or the profile, the customer opted out of it, the account has not configured it, or (WhatsApp) the 24-hour window is closed',
  'and no `channelOptions.whatsApp.template` is given. A channel that rejects or fails the message hands it to the next at once.',
  'A rule `{"channel", "until": "delivered"|"read", "within_s"}` tries the next channel when that receipt does not come in time.',
  'Answers once the message is stored; sending runs in a durable job.',
].join(' ');

/** Omnichannel sends (camelCase in this resource, as the vendor API it follows). */
export const messagesRoutes: RouteModule = (app, { messaging: { messages } }) => {
  app.post(
    '/messages',
    { config: { ...write, idempotent: true }, schema: { tags, summary: 'Send a message on the first channel that works', description: SEND_DESCRIPTION, body: sendMessageBody, response: { 201: sendMessageResult } } },
    async (request, reply) => {
      const sent = await messages.send(principalOf(request).accountId, request.body, answerWithWork(request, reply.code(201)));
      return reply.header('location', `/messages/${sent.messageId}`).send(sent);
    },
  );

  app.get(
    '/messages',
    { config: read, schema: { tags, summary: 'Messages, newest first', querystring: messagesQuery.extend(pageQuery), response: { 200: halListSchema('messages', messageSchema) } } },
    async (request) => {
      const { per_page, cursor, created_from, created_to, ...filters } = request.query;
      const after = decodeCursor(cursor, z.tuple([z.string(), z.string()]));
      const page = await messages.list(principalOf(request).accountId, { ...filters, ...timeRange('created', created_from, created_to) }, after, per_page);
      return halList(request, 'messages', page, per_page);
    },
  );

  app.get('/messages/:messageId', { config: read, schema: { tags, summary: 'A message, each channel\'s status and every attempt', params, response: { 200: messageSchema } } }, (request) =>
    messages.get(principalOf(request).accountId, request.params.messageId),
  );
};
