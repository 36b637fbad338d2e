import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CHANNEL_IDS, type ChannelId } from '../../domains/messaging/index.js';
import { problem, sendProblem } from '../problem.js';
import type { RouteModule } from './route-module.js';

const tags = ['messaging'];
/** Only the channels' provider webhooks, so `/webhooks/{id}/deliveries` (outbound webhooks) stays free. */
const scopedParams = z.object({ channel: z.enum(CHANNEL_IDS), account_id: z.string().min(1).max(200) });
const accountParams = z.object({ account_id: z.string().min(1).max(200) });
/** Providers post a few kilobytes at a time (a Meta batch, a Twilio status): anything larger is refused before it is read. */
const WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;
const received = z.object({ received: z.number(), applied: z.number(), unknown: z.number(), pending: z.number(), inbound: z.number() });

/** Reads the body a provider posts, as JSON or as a form (Twilio), keeping the raw text for its signature. */
function parseBody(raw: string, contentType: string | undefined): unknown {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw));
  if (type === 'application/json' || type?.endsWith('+json')) return raw === '' ? {} : JSON.parse(raw);
  return raw;
}

/**
 * Provider webhooks. `POST /webhooks/{channel}` and `POST /webhooks/{channel}/{account_id}`: where
 * a provider posts delivery statuses (and, for WhatsApp, customers' messages). Each receipt applies
 * only if the request verifies with the provider its message went out through; receipts naming no
 * recorded send are held for it a few minutes (the provider may answer faster than the send records
 * its id). The account-scoped form must first verify with one of that account's providers and
 * reaches only that account. `GET /webhooks/{whatsApp|fbMessenger}/{account_id}`: Meta's
 * subscription handshake, answered with `hub.challenge` when `hub.verify_token` is a provider's
 * `credentials.verifyToken`.
 */
export const channelWebhooksRoutes: RouteModule = (app, { messaging: { webhooks, intake } }) => {
  void app.register((plugin, _options, done) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, next) => next(null, body));

    const receive = async (channel: ChannelId, accountId: string | undefined, request: FastifyRequest, reply: FastifyReply) => {
      const webhook = webhooks[channel];
      if (!webhook) return sendProblem(reply, problem('not_found', `${channel} has no provider status webhook${channel === 'appMessaging' ? ' (apps post receipts to /app/receipts)' : ''}`));
      const rawBody = typeof request.body === 'string' ? request.body : '';
      let parsed: unknown;
      try {
        parsed = parseBody(rawBody, request.headers['content-type']);
      } catch {
        return sendProblem(reply, problem('malformed_json', 'the request body is not valid JSON'));
      }
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
      const url = `${request.protocol}://${request.host}${request.url}`;
      const { verified, ...result } = await intake.receive(channel, { rawBody, headers, url }, parsed, accountId);
      if (!verified) {
        return sendProblem(reply, problem('unauthorized', `the request's signature does not verify with the ${accountId === undefined ? "account's" : "named account's"} ${channel} provider`));
      }
      return reply.send(result);
    };

    const postSchema = { tags, response: { 200: received } };
    const bodyLimit = WEBHOOK_BODY_LIMIT_BYTES;
    // One static path per channel: a templated `/webhooks/{channel}` would be the same OpenAPI
    // path as `/webhooks/{id}` (outbound webhooks), which the specification forbids.
    for (const channel of CHANNEL_IDS) {
      scope.post(
        `/webhooks/${channel}`,
        // A channel without a provider webhook answers 404 with where to go instead, undocumented.
        { bodyLimit, config: { auth: 'public' }, schema: { ...postSchema, summary: `${channel} provider's webhook (signed by the provider)`, hide: !webhooks[channel] } },
        (request, reply) => receive(channel, undefined, request, reply),
      );
    }
    scope.post(
      '/webhooks/:channel/:account_id',
      { bodyLimit, config: { auth: 'public' }, schema: { ...postSchema, params: scopedParams, summary: "A channel provider's webhook for one account (signed by the provider)" } },
      (request, reply) => receive(request.params.channel, request.params.account_id, request, reply),
    );

    // Static channel segments, so `/webhooks/{id}` and `/webhooks/{id}/deliveries` (outbound webhooks) keep theirs.
    for (const channel of CHANNEL_IDS) {
      if (!webhooks[channel]?.subscriptionChallenge) continue;
      scope.get(`/webhooks/${channel}`, { config: { auth: 'public' }, schema: { tags, summary: `${channel} subscription handshake without an account: refused` } }, (_request, reply) =>
        sendProblem(reply, problem('forbidden', `the callback URL names no account: subscribe /webhooks/${channel}/{account_id}`)),
      );
      scope.get(
        `/webhooks/${channel}/:account_id`,
        { config: { auth: 'public' }, schema: { tags, params: accountParams, summary: `${channel} subscription handshake (hub.mode, hub.verify_token, hub.challenge)` } },
        async (request, reply) => {
          const answer = await intake.challenge(channel, request.params.account_id, request.query as Record<string, unknown>);
          if (answer === undefined) return sendProblem(reply, problem('forbidden', `hub.verify_token is not the verify token of the account's ${channel} provider`));
          return reply.type('text/plain; charset=utf-8').send(answer);
        },
      );
    }
    done();
  });
};
