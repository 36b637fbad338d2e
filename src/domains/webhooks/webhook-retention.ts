import type { Executor } from '../../ports/storage.js';

/** Events and their deliveries are kept this long (every delivery is final 24 h after its event). */
export const WEBHOOK_HISTORY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** Rows per delete, so one purge never holds locks on a huge backlog in a single statement. */
const BATCH = 5000;

/**
 * Deletes, across accounts, final deliveries and events created before `cutoff`, in batches;
 * resolves to how many rows went. A delivery still pending (a worker down for weeks) is kept, and
 * fails when it runs, its event gone.
 */
export async function purgeWebhookHistory(db: Executor, cutoff: string, signal?: AbortSignal): Promise<number> {
  let deleted = 0;
  for (;;) {
    const result = await db
      .deleteFrom('webhook_deliveries')
      .where((eb) =>
        eb(
          eb.refTuple('account_id', 'id'),
          'in',
          eb.selectFrom('webhook_deliveries').select(['account_id', 'id']).where('created_at', '<', cutoff).where('status', '!=', 'pending').limit(BATCH).$asTuple('account_id', 'id'),
        ),
      )
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
    if (Number(result.numDeletedRows) < BATCH || signal?.aborted) break;
  }
  for (;;) {
    const result = await db
      .deleteFrom('webhook_events')
      .where((eb) =>
        eb(
          eb.refTuple('account_id', 'id'),
          'in',
          eb.selectFrom('webhook_events').select(['account_id', 'id']).where('created_at', '<', cutoff).limit(BATCH).$asTuple('account_id', 'id'),
        ),
      )
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
    if (Number(result.numDeletedRows) < BATCH || signal?.aborted) return deleted;
  }
}
