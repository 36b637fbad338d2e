import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { Db, Executor, WithResult } from '../ports/storage.js';
import type { Clock } from '../kernel/clock.js';
import { DomainError } from '../kernel/errors.js';
import { canonicalJson } from '../kernel/json.js';
import { IDEMPOTENCY_RETENTION_MS } from '../jobs/retention.js';
import type { SecretSealer } from '../domains/webhooks/index.js';

/** A key whose first request never finished (crash mid-request) can be retried after this. */
const ABANDONED_MS = 60 * 1000;
const MAX_KEY_LENGTH = 255;

interface KeyOwner {
  accountId: string;
  route: string;
  key: string;
}

/**
 * The hold a request has on its Idempotency-Key until its answer is stored. Both writes apply
 * only to a key not answered yet: an answer stored with its work stands.
 */
export interface IdempotencyClaim {
  /** Stores the answer through `executor`: the server's connection, or the transaction of the work it answers. */
  answer(executor: Executor, statusCode: number, payload: string): Promise<void>;
  /** Gives the key up: the request ended without an answer worth replaying. */
  release(): Promise<void>;
  /** The status of the answer written with the work (`answerWithWork`), once written (committed if the request then answers it). */
  answeredWithWork: number | undefined;
}

const sealContext = (owner: KeyOwner): string => `idempotent-response:${owner.accountId}:${owner.route}:${owner.key}`;
const isSealed = (request: FastifyRequest): boolean => request.routeOptions.config.idempotent === 'sealed';

/** Whose keys these are: the caller's account, or (on `/admin/*`) the operator, who has none; never a real account id. */
const OPERATOR = '~operator';
const ownerOf = (request: FastifyRequest): string | undefined =>
  request.principal?.accountId ?? (request.routeOptions.config.auth === 'admin' ? OPERATOR : undefined);

/**
 * `Idempotency-Key` on creating POSTs: the first response is stored before it is sent (in the
 * transaction of the work itself where the route says so: `answerWithWork`), a repeat with the
 * same body replays it, the same key with another body is 422. A response that shows a secret once
 * is stored sealed (`idempotent: 'sealed'`), so the table never holds it in clear.
 */
export function idempotencyHooks(db: Db, clock: Clock, sealer: SecretSealer) {
  const claimOf = (owner: KeyOwner, sealed: boolean): IdempotencyClaim => ({
    answer: async (executor, statusCode, payload) => {
      const stored = sealed && payload !== '' ? sealer.seal({ body: payload }, sealContext(owner)) : payload;
      await executor
        .updateTable('idempotency_keys')
        .set({ status_code: statusCode, response_body: stored })
        .where('account_id', '=', owner.accountId)
        .where('route', '=', owner.route)
        .where('key', '=', owner.key)
        .where('status_code', 'is', null)
        .execute();
    },
    release: async () => {
      await db
        .deleteFrom('idempotency_keys')
        .where('account_id', '=', owner.accountId)
        .where('route', '=', owner.route)
        .where('key', '=', owner.key)
        .where('status_code', 'is', null)
        .execute();
    },
    answeredWithWork: undefined,
  });

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
      request.idempotency = claimOf({ route, key, accountId }, isSealed(request));
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
      request.idempotency = claimOf({ route, key, accountId }, isSealed(request));
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
    // The work committed with its answer: nothing left to store.
    if (claim.answeredWithWork === reply.statusCode) return payload;
    // A server error or a rate limit's refusal is not an answer to remember: the client retries with
    // the same key. Work that failed after writing its answer may have committed it, which then stands.
    if (reply.statusCode >= 500 || reply.statusCode === 429) await claim.release();
    else await claim.answer(db, reply.statusCode, typeof payload === 'string' ? payload : '');
    return payload;
  };

  return { preHandler, onSend };
}

/**
 * For a route whose work commits in one transaction: its answer (the reply's status code, the
 * result serialised as the route sends it) is stored in that transaction, so a node that dies
 * between the commit and the response leaves a retry the answer to replay, not the work to do
 * again. Undefined when the request holds no Idempotency-Key. When the transaction rolls back,
 * its answer goes with it, and the request's own answer (an error) is stored or the key released.
 */
export function answerWithWork<T>(request: FastifyRequest, reply: FastifyReply): WithResult<T> | undefined {
  const claim = request.idempotency;
  if (!claim) return undefined;
  return async (trx, result) => {
    const payload = result === undefined ? '' : reply.serialize(result);
    await claim.answer(trx, reply.statusCode, typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
    claim.answeredWithWork = reply.statusCode;
  };
}
