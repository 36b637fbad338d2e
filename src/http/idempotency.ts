import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { Db } from '../ports/storage.js';
import type { Clock } from '../kernel/clock.js';
import { DomainError } from '../kernel/errors.js';
import { canonicalJson } from '../kernel/json.js';
import { IDEMPOTENCY_RETENTION_MS } from '../jobs/retention.js';
import type { SecretSealer } from '../domains/webhooks/index.js';

/** A key whose first request never finished (crash mid-request) can be retried after this. */
const ABANDONED_MS = 60 * 1000;
const MAX_KEY_LENGTH = 255;

type Claim = NonNullable<FastifyRequest['idempotency']>;

const sealContext = (claim: Claim): string => `idempotent-response:${claim.accountId}:${claim.route}:${claim.key}`;
const isSealed = (request: FastifyRequest): boolean => request.routeOptions.config.idempotent === 'sealed';

/** Whose keys these are: the caller's account, or (on `/admin/*`) the operator, who has none; never a real account id. */
const OPERATOR = '~operator';
const ownerOf = (request: FastifyRequest): string | undefined =>
  request.principal?.accountId ?? (request.routeOptions.config.auth === 'admin' ? OPERATOR : undefined);

/**
 * `Idempotency-Key` on creating POSTs: the first response is stored before it is sent, a repeat
 * with the same body replays it, the same key with another body is 422. A response that shows a
 * secret once is stored sealed (`idempotent: 'sealed'`), so the table never holds it in clear.
 */
export function idempotencyHooks(db: Db, clock: Clock, sealer: SecretSealer) {
  const preHandler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const key = request.headers['idempotency-key'];
    const accountId = ownerOf(request);
    if (typeof key !== 'string' || accountId === undefined) return;
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new DomainError('validation_failed', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`, [
        { name: 'Idempotency-Key', description: `must be 1 to ${MAX_KEY_LENGTH} characters` },
      ]);
    }
    const route = `${request.method} ${request.url.split('?')[0] ?? ''}`;
    const requestHash = createHash('sha256').update(canonicalJson(request.body ?? null)).digest('hex');
    const now = clock.now();
    const claimed = await db
      .insertInto('idempotency_keys')
      .values({ account_id: accountId, route, key, request_hash: requestHash, status_code: null, response_body: null, created_at: now.toISOString() })
      .onConflict((oc) => oc.columns(['account_id', 'route', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(claimed.numInsertedOrUpdatedRows ?? 0n) === 1) {
      request.idempotency = { route, key, accountId };
      return;
    }
    const existing = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('route', '=', route)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!existing) return preHandler(request, reply);
    const age = now.getTime() - Date.parse(existing.created_at);
    const expired = age > IDEMPOTENCY_RETENTION_MS;
    const abandoned = existing.status_code === null && age > ABANDONED_MS;
    if (expired || abandoned) {
      await db
        .updateTable('idempotency_keys')
        .set({ request_hash: requestHash, status_code: null, response_body: null, created_at: now.toISOString() })
        .where('account_id', '=', accountId)
        .where('route', '=', route)
        .where('key', '=', key)
        .execute();
      request.idempotency = { route, key, accountId };
      return;
    }
    if (existing.request_hash !== requestHash) {
      throw new DomainError('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
    }
    if (existing.status_code === null) {
      throw new DomainError('idempotency_key_in_progress', 'the first request with this Idempotency-Key has not finished', undefined, { 'retry-after': '1' });
    }
    const stored = existing.response_body ?? '';
    const body = isSealed(request) && stored !== '' ? (sealer.open(stored, sealContext({ route, key, accountId })).body ?? '') : stored;
    // Every answer stored is JSON; an error among them was a problem document, and is replayed as one.
    const type = existing.status_code >= 400 ? 'application/problem+json; charset=utf-8' : 'application/json; charset=utf-8';
    await reply.code(existing.status_code).header('idempotent-replayed', 'true').type(type).send(body);
  };

  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = undefined;
    const where = db
      .updateTable('idempotency_keys')
      .where('account_id', '=', claim.accountId)
      .where('route', '=', claim.route)
      .where('key', '=', claim.key);
    if (reply.statusCode >= 500 || reply.statusCode === 429) {
      // A server error or a rate limit's refusal is not an answer to remember: the client retries with the same key.
      await db.deleteFrom('idempotency_keys').where('account_id', '=', claim.accountId).where('route', '=', claim.route).where('key', '=', claim.key).execute();
      return payload;
    }
    const body = typeof payload === 'string' ? payload : '';
    const stored = isSealed(request) && body !== '' ? sealer.seal({ body }, sealContext(claim)) : body;
    await where.set({ status_code: reply.statusCode, response_body: stored }).execute();
    return payload;
  };

  return { preHandler, onSend };
}
