import type { Clock } from '../../../kernel/clock.js';
import type { Storage, WithResult } from '../../../ports/storage.js';

/** Where the writes of flow steps are recorded: beside the API's Idempotency-Keys (and purged with them), on a route no request has. */
const FLOW_STEP_ROUTE = 'flow step';

/**
 * A write a flow step makes through another domain, once: `write` gets a `WithResult` to pass to
 * that domain's transaction, which records the written id there under `key`. A step run again
 * after its node died finds the record and gets the id its first run committed, writing nothing.
 */
export type StepWrite = (accountId: string, key: string, write: (record: WithResult<{ id: string }>) => Promise<{ id: string }>) => Promise<{ id: string }>;

export function stepWrites(storage: Storage, clock: Clock): StepWrite {
  return async (accountId, key, write) => {
    const done = await storage.db
      .selectFrom('idempotency_keys')
      .select('response_body')
      .where('account_id', '=', accountId)
      .where('route', '=', FLOW_STEP_ROUTE)
      .where('key', '=', key)
      .executeTakeFirst();
    if (done?.response_body) return { id: done.response_body };
    return write(async (trx, written) => {
      await trx
        .insertInto('idempotency_keys')
        .values({ account_id: accountId, route: FLOW_STEP_ROUTE, key, request_hash: '', status_code: 200, response_body: written.id, created_at: clock.now().toISOString() })
        .execute();
    });
  };
}
