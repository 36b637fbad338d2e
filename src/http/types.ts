import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Principal, Scope } from '../domains/accounts/index.js';
import type { IdempotencyClaim } from './idempotency.js';

/** The Fastify instance every route module receives: Zod schemas give typed bodies and queries. */
export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** How a route is authorised: an OAuth scope (or any one of several), the operator token, or nothing. */
export type RouteAuth = { scope: Scope } | { anyScope: readonly Scope[] } | 'admin' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /**
     * Creating POSTs honour the Idempotency-Key header. `sealed`: the response shows a secret
     * once, so the copy kept for replays is sealed at rest like other stored secrets.
     */
    idempotent?: boolean | 'sealed';
  }
  interface FastifyRequest {
    principal?: Principal;
    idempotency?: IdempotencyClaim;
  }
}
