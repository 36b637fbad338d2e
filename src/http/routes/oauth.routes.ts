import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OAuthError, type ClientCredentials } from '../../domains/accounts/index.js';
import { errorHandler } from '../errors.js';
import type { App } from '../types.js';
import type { AppServices } from '../services.js';
import type { RouteModule } from './route-module.js';

const tokenRequest = z.object({
  grant_type: z.string().optional(),
  scope: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
});

const oauthError = z.object({ error: z.string(), error_description: z.string() });

function credentialsOf(request: FastifyRequest, body: z.infer<typeof tokenRequest>): ClientCredentials | undefined {
  const header = request.headers.authorization;
  if (header?.toLowerCase().startsWith('basic ')) {
    const basic = basicCredentials(header.slice(6).trim());
    // RFC 6749 §2.3: one authentication method per request. A body that repeats the Basic
    // client's id (as some libraries send it) is not a second one; other credentials are.
    const other = (body.client_id !== undefined && body.client_id !== basic.clientId) || (body.client_secret !== undefined && body.client_secret !== basic.clientSecret);
    if (other) throw new OAuthError('invalid_request', 'the request carries two different client credentials (Basic and in the body); use one');
    return basic;
  }
  if (body.client_id !== undefined && body.client_secret !== undefined) {
    return { clientId: body.client_id, clientSecret: body.client_secret };
  }
  return undefined;
}

function basicCredentials(encoded: string): ClientCredentials {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'malformed Basic credentials');
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), clientSecret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'malformed Basic credentials: not form-urlencoded');
  }
}

/** RFC 6749 §3.2: request parameters must not be included more than once. */
function parseTokenForm(body: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(fields, name)) throw new OAuthError('invalid_request', `the parameter ${name} is included more than once`);
    fields[name] = value;
  }
  return fields;
}

/**
 * The token endpoint answers every error in the RFC 6749 shape (API.md): a body Fastify could not
 * parse (malformed JSON, say) is `invalid_request`, and so is one too large or of another media
 * type (with their own status), not a problem document its schema cannot send.
 */
function tokenErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  if (error instanceof OAuthError) {
    if (error.status === 401) reply.header('www-authenticate', 'Basic realm="switchboard"');
    if (error.retryAfterS !== undefined) reply.header('retry-after', String(error.retryAfterS));
    reply.code(error.status).send({ error: error.error, error_description: error.description });
    return;
  }
  const unparsable = error instanceof SyntaxError || String(error.code).startsWith('FST_ERR_CTP_') || hasZodFastifySchemaValidationErrors(error);
  if (unparsable && (error.statusCode === 400 || error.statusCode === 413 || error.statusCode === 415)) {
    const description = error.statusCode === 413 ? 'the request body is too large'
      : error.statusCode === 415 ? 'send the token request as application/x-www-form-urlencoded or application/json'
      : 'the request body is not a token request (a form or JSON object of strings)';
    reply.code(error.statusCode).send({ error: 'invalid_request', error_description: description });
    return;
  }
  errorHandler(error, request, reply);
}

export const oauthRoutes: RouteModule = (app, services) => {
  // The only route of the API that reads forms (RFC 6749 §4.4.2), so it has a scope of its own.
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, next) => {
      try {
        next(null, parseTokenForm(body as string));
      } catch (error) {
        next(error as Error, undefined);
      }
    });
    registerTokenRoute(scope.withTypeProvider<ZodTypeProvider>(), services);
    done();
  });
};

function registerTokenRoute(app: App, services: AppServices): void {
  app.post(
    '/oauth/token',
    {
      config: { auth: 'public' },
      errorHandler: tokenErrorHandler,
      schema: {
        tags: ['auth'],
        summary: 'OAuth 2.0 client credentials grant',
        security: [],
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: tokenRequest.optional(),
        response: {
          200: z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number(), scope: z.string() }),
          400: oauthError,
          401: oauthError,
        },
      },
    },
    // The body schema has checked it is an object of strings; every refusal is an OAuthError, answered by tokenErrorHandler.
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      const body = request.body ?? {};
      return services.accounts.issueToken(body.grant_type, credentialsOf(request, body), body.scope);
    },
  );
}
