import type { FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { AccountsService, Principal } from '../domains/accounts/index.js';
import { problem, sendProblem } from './problem.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function bearerOf(request: FastifyRequest): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Runs on every request before its body is read, so an unauthenticated caller gets 401 (and one
 * lacking the scope 403) whatever it sent. `/admin/*` without an operator token configured is 404.
 */
export function authHook(accounts: AccountsService, adminToken: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const auth = request.routeOptions.config.auth;
    if (auth === undefined || auth === 'public') return;
    const token = bearerOf(request);
    if (auth === 'admin') {
      if (!adminToken) {
        await sendProblem(reply, problem('not_found', `Route ${request.method}:${request.url} not found`));
        return;
      }
      if (!token || !sameSecret(token, adminToken)) await unauthorized(reply, 'a valid operator token is required', token !== undefined);
      return;
    }
    const principal = token ? await accounts.authenticate(token) : undefined;
    if (!principal) {
      await unauthorized(reply, token ? 'the access token is invalid or expired' : 'a bearer access token is required', Boolean(token));
      return;
    }
    const accepted = 'anyScope' in auth ? auth.anyScope : [auth.scope];
    if (!accepted.some((scope) => principal.scopes.has(scope))) {
      const named = accepted.length === 1 ? `the scope ${accepted.join('')}` : `one of the scopes ${accepted.join(', ')}`;
      await sendProblem(reply, problem('insufficient_scope', `this route requires ${named}`), {
        'www-authenticate': `Bearer error="insufficient_scope", scope="${accepted.join(' ')}"`,
      });
      return;
    }
    request.principal = principal;
  };
}

/** RFC 6750 §3.1: a request that sent no token gets the challenge without an error code. */
async function unauthorized(reply: FastifyReply, detail: string, tokenSent: boolean): Promise<void> {
  await sendProblem(reply, problem('unauthorized', detail), {
    'www-authenticate': tokenSent ? 'Bearer realm="switchboard", error="invalid_token"' : 'Bearer realm="switchboard"',
  });
}

/** The caller of an authenticated route; the auth hook guarantees it is set. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url ?? '?'} has no scope configured`);
  return request.principal;
}
