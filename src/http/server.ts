import Fastify, { type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import type { App, RouteAuth } from './types.js';
import { SCOPES } from '../domains/accounts/index.js';
import type { AppServices } from './services.js';
import type { SecretSealer } from '../domains/webhooks/index.js';
import { authHook } from './auth.js';
import { errorHandler } from './errors.js';
import { openCursor } from './hal.js';
import { idempotencyHooks } from './idempotency.js';
import { problem, sendProblem } from './problem.js';
import { ROUTE_MODULES } from './routes/index.js';

export interface ServerOptions {
  logger: Logger;
  adminToken: string | undefined;
  bodyLimitBytes: number;
  /** Which proxies' X-Forwarded-* headers name the scheme, host and client (Fastify's `trustProxy`). */
  trustProxy: boolean | number | string;
  /** Seals the stored copies of responses that show a secret once (routes with `idempotent: 'sealed'`). */
  responseSealer: SecretSealer;
}

/** No request body of this API nests anywhere near this deep; deeper ones exhausted the stack of recursive checks (a 500). */
const MAX_JSON_DEPTH = 64;

/** How deep arrays and objects nest in JSON text (brackets inside strings do not count). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) deepest = Math.max(deepest, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}

/** A caller's own `X-Request-Id` kept when it is a plain token of sensible length; else one is made. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIdOf(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Builds the HTTP server around already-constructed services; it never opens ports or databases itself. */
export async function buildServer(services: AppServices, options: ServerOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    disableRequestLogging: true,
    bodyLimit: options.bodyLimitBytes,
    trustProxy: options.trustProxy,
    genReqId: requestIdOf,
    requestIdHeader: false,
    ajv: { customOptions: { coerceTypes: false } },
    // Errors Fastify meets before routing (a path it cannot decode) are problem+json too.
    frameworkErrors: (error, request, reply) => {
      errorHandler(error, request, reply);
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem('not_found', `Route ${request.method}:${request.url.split('?')[0] ?? ''} not found`)));
  // JSON in and out: a form or plain text is 415 (the token endpoint, and the provider webhooks
  // Twilio posts forms to, read forms in scopes of their own).
  app.removeContentTypeParser('text/plain');
  // Many clients send `Content-Type: application/json` on every request: an empty body is no
  // body (the route's schema decides whether it needs one), not malformed JSON. Bytes that are
  // not UTF-8 are malformed too, never read with replacement characters.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new DomainError('malformed_json', 'the request body is not valid UTF-8'), undefined);
      return;
    }
    if (text === '') done(null, undefined);
    else if (nestingDepth(text) > MAX_JSON_DEPTH) done(new DomainError('malformed_json', `the request body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    else void parseJson(request, text, done);
  });
  // Bodies are read as sent: a compressed one would be parsed as garbage.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = request.headers['content-encoding'];
    if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') done(null, payload);
    else done(new DomainError('unsupported_media_type', `unsupported content encoding: ${encoding}; send the body uncompressed`));
  });

  // Every answer names its request, so a caller can quote it and an operator find it in the log (`reqId`).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onRequest', authHook(services.accounts, options.adminToken));
  app.addHook('preValidation', (request, _reply, done) => {
    const query = request.query as Record<string, unknown> | undefined;
    try {
      if (typeof query?.cursor === 'string') query.cursor = openCursor(request, query.cursor);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  const idempotency = idempotencyHooks(services.storage.db, services.clock, options.responseSealer);
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: securityOf(route.config?.auth) };
    // Every DELETE answers 204 without a body: the OpenAPI document says so rather than a default 200.
    if (route.method === 'DELETE' && route.schema.response === undefined) route.schema.response = { 204: z.null().describe('Deleted') };
    if (!route.config?.idempotent) return;
    route.preHandler = [...toArray(route.preHandler), idempotency.preHandler];
    route.onSend = [...toArray(route.onSend), idempotency.onSend];
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    services.metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    services.metrics.httpDuration.observe({ route }, reply.elapsedTime / 1000);
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchboard API',
        version: '1',
        description: 'Contact-center automation: continuity, flows, cases, messaging and callbacks.',
      },
      components: {
        securitySchemes: {
          oauth2: {
            type: 'oauth2',
            description: 'Client credentials; send the access token as `Authorization: Bearer <token>`. Service tokens work the same way.',
            flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: Object.fromEntries(SCOPES.map((scope) => [scope, scope])) } },
          },
          operator: { type: 'http', scheme: 'bearer', description: 'The operator token from SWITCHBOARD_ADMIN_TOKEN' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  for (const register of ROUTE_MODULES) register(app, services);
  return app;
}

/** Documents each route's authorisation in OpenAPI from the same config the auth hook enforces. */
function securityOf(auth: RouteAuth | undefined): Record<string, string[]>[] {
  if (auth === undefined || auth === 'public') return [];
  if (auth === 'admin') return [{ operator: [] }];
  // Alternatives: any one of the listed requirements satisfies the route.
  return 'anyScope' in auth ? auth.anyScope.map((scope) => ({ oauth2: [scope] })) : [{ oauth2: [auth.scope] }];
}

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
