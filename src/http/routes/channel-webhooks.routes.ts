import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CHANNEL_IDS } from '../../domains/messaging/index.js';
import { problem, sendProblem } from '../problem.js';
import type { RouteModule } from './route-module.js';

const tags = ['messaging'];
/** Only the channels' provider status webhooks, so `/webhooks/{id}` (outbound webhooks) stays free. */
const params = z.object({ channel: z.enum(CHANNEL_IDS) });

/** Reads the body a provider posts, as JSON or as a form (Twilio), keeping the raw text for its signature. */
function parseBody(raw: string, contentType: string | undefined): unknown {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw));
  if (type === 'application/json' || type?.endsWith('+json')) return raw === '' ? {} : JSON.parse(raw);
  return raw;
}

/**
 * `POST /webhooks/{channel}`: where a provider posts delivery statuses. Each receipt is applied
 * only if the request verifies (ChannelWebhook.verify) with the provider its message went out
 * through, in that message's account; otherwise 401 and nothing is applied. Receipts for
 * messages this platform does not know are acknowledged and ignored.
 */
export const channelWebhooksRoutes: RouteModule = (app, { messaging: { webhooks, receipts } }) => {
  void app.register((plugin, _options, done) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, next) => next(null, body));
    scope.post(
      '/webhooks/:channel',
      {
        config: { auth: 'public' },
        schema: {
          tags, params,
          summary: "A channel provider's delivery status webhook (signed by the provider)",
          response: { 200: z.object({ received: z.number(), applied: z.number(), unknown: z.number() }) },
        },
      },
      async (request, reply) => {
        const { channel } = request.params;
        const webhook = webhooks[channel];
        if (!webhook) return sendProblem(reply, problem('not_found', `${channel} has no provider status webhook${channel === 'appMessaging' ? ' (apps post receipts to /app/receipts)' : ''}`));
        const rawBody = typeof request.body === 'string' ? request.body : '';
        let parsed: unknown;
        try {
          parsed = parseBody(rawBody, request.headers['content-type']);
        } catch {
          return sendProblem(reply, problem('malformed_json', 'the request body is not valid JSON'));
        }
        const found = webhook.receipts(parsed).filter((receipt) => receipt.channel === channel);
        const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
        const url = `${request.protocol}://${request.host}${request.url}`;
        const result = await receipts.recordWebhook(channel, found, (provider) => webhook.verify({ rawBody, headers, url }, provider));
        if (!result.verified) {
          return sendProblem(reply, problem('unauthorized', `the request's signature does not verify with the account's ${channel} provider`));
        }
        return reply.send({ received: found.length, applied: result.applied, unknown: result.unknown });
      },
    );
    done();
  });
};
