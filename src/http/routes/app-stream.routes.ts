import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppIdentity } from '../../domains/messaging/index.js';
import { problem, sendProblem } from '../problem.js';
import type { RouteModule } from './route-module.js';

const tags = ['app'];
const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** A comment line every so often keeps proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;

const tokenQuery = z.object({ access_token: z.string().max(500).optional().describe('The app token, for clients that cannot set headers (browser EventSource)') });

const receiptsBody = z.strictObject({
  receipts: z
    .array(z.strictObject({ messageId: z.string().min(1).max(100), status: z.enum(['delivered', 'read']), at: z.iso.datetime({ offset: true }).optional() }))
    .min(1)
    .max(100),
});

/**
 * The customer app's side of appMessaging, authenticated by the profile's app token
 * (`POST /profiles/{profileId}/app-token`) as `Authorization: Bearer <token>` or `?access_token=`.
 */
export const appStreamRoutes: RouteModule = (app, { clock, messaging: { profiles, receipts }, appStreams }) => {
  /** Who the request speaks for, settled before the body is read (401 whatever it sent, as for OAuth routes). */
  const identities = new WeakMap<FastifyRequest, AppIdentity>();
  const onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const query = request.query as { access_token?: unknown } | undefined;
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1] ?? (typeof query?.access_token === 'string' ? query.access_token : undefined);
    const identity = token ? await profiles.authenticateApp(token) : undefined;
    if (identity) identities.set(request, identity);
    else await sendProblem(reply, problem('unauthorized', token ? 'the app token is invalid or revoked' : 'an app token is required'), { 'www-authenticate': 'Bearer realm="switchboard-app"' });
  };
  const identityOf = (request: FastifyRequest): AppIdentity => {
    const identity = identities.get(request);
    if (!identity) throw new Error('app route without its token check');
    return identity;
  };

  // Both routes take the app token instead of OAuth: checked before the body is read.
  void app.register((plugin, _options, done) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    scope.addHook('onRequest', onRequest);
    scope.get(
      '/app/stream',
      {
        config: { auth: 'public' },
        schema: {
          tags, querystring: tokenQuery,
          summary: "The customer app's message stream (Server-Sent Events)",
          description: 'Events: `connected`, then `message` (`{"messageId", "title", "body", "metadata", "sentOn"}`, SSE id = messageId) for each message sent to the profile on appMessaging, starting with those accepted earlier without a delivery receipt. An app may see a message twice (a reconnect): it ignores ids it has seen.',
        },
      },
      async (request, reply) => {
        const identity = identityOf(request);
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        const open = () => !raw.writableEnded && !raw.destroyed;
        const stream = {
          write(event: string, data: unknown, id?: string): boolean {
            if (!open()) return false;
            raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
            return true;
          },
          end: () => raw.end(),
        };
        const keepAlive = setInterval(() => open() && raw.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
        keepAlive.unref();
        let disconnect: (() => Promise<void>) | undefined;
        let gone = false;
        raw.once('close', () => {
          gone = true;
          clearInterval(keepAlive);
          void disconnect?.();
        });
        try {
          disconnect = await appStreams.connect(identity.accountId, identity.profileId, stream);
          if (gone) await disconnect();
        } catch (error) {
          request.log.error({ err: error }, 'app stream failed to open');
          clearInterval(keepAlive);
          raw.destroy();
        }
        return reply;
      },
    );

    scope.post(
      '/app/receipts',
      {
        config: { auth: 'public' },
        schema: {
          tags, querystring: tokenQuery, body: receiptsBody,
          summary: "The app's delivery and read receipts for messages it received",
          response: { 200: z.object({ applied: z.number(), ignored: z.number() }) },
        },
      },
      async (request, reply) => {
        const identity = identityOf(request);
        let applied = 0;
        for (const receipt of request.body.receipts) {
          const at = receipt.at === undefined ? clock.now().toISOString() : new Date(receipt.at).toISOString();
          const changed = await receipts.apply({ accountId: identity.accountId, messageId: receipt.messageId, channel: 'appMessaging', status: receipt.status, at }, identity.profileId);
          if (changed) applied += 1;
        }
        return reply.send({ applied, ignored: request.body.receipts.length - applied });
      },
    );
    done();
  });
};
