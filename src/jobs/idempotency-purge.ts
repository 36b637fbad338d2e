import type { z } from 'zod';
import { iso, type Clock } from '../kernel/clock.js';
import { SYSTEM_ACCOUNT, type JOB_PAYLOADS, type JobQueue } from '../ports/jobs.js';
import type { Executor, Storage } from '../ports/storage.js';
import { repeatAt, type JobHandler } from './handler.js';
import { IDEMPOTENCY_RETENTION_MS } from './retention.js';

export const IDEMPOTENCY_PURGE_EVERY_MS = 60 * 60 * 1000;
/** Rows per delete, so one purge never holds locks on a huge backlog in a single statement. */
const BATCH = 5000;

/** Deletes idempotency keys older than their retention, then runs again an hour later. */
export function idempotencyPurge({ storage, clock }: { storage: Storage; clock: Clock }): JobHandler<z.output<(typeof JOB_PAYLOADS)['idempotency.purge']>> {
  return async (_payload, { signal, logger }) => {
    const cutoff = iso(new Date(clock.now().getTime() - IDEMPOTENCY_RETENTION_MS));
    let deleted = 0;
    for (;;) {
      const batch = await deleteBatch(storage.db, cutoff);
      deleted += batch;
      if (batch < BATCH || signal.aborted) break;
    }
    logger.info({ deleted, cutoff }, 'purged expired idempotency keys');
    return repeatAt(new Date(clock.now().getTime() + IDEMPOTENCY_PURGE_EVERY_MS));
  };
}

async function deleteBatch(db: Executor, cutoff: string): Promise<number> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where((eb) =>
      eb(
        eb.refTuple('account_id', 'route', 'key'),
        'in',
        eb
          .selectFrom('idempotency_keys')
          .select(['account_id', 'route', 'key'])
          .where('created_at', '<', cutoff)
          .limit(BATCH)
          .$asTuple('account_id', 'route', 'key'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Schedules the purge unless it already is (its dedupe key makes it one job across all nodes). */
export function scheduleIdempotencyPurge(queue: JobQueue, executor: Executor, clock: Clock): Promise<string | null> {
  return queue.enqueue(executor, {
    type: 'idempotency.purge',
    payload: {},
    accountId: SYSTEM_ACCOUNT,
    dedupeKey: 'idempotency.purge',
    runAt: clock.now(),
  });
}
