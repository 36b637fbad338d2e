import type { z } from 'zod';
import { iso, type Clock } from '../kernel/clock.js';
import { SYSTEM_ACCOUNT, type JOB_PAYLOADS, type JobQueue } from '../ports/jobs.js';
import type { Executor, Storage } from '../ports/storage.js';
import { purgeWebhookHistory, WEBHOOK_HISTORY_RETENTION_MS } from '../domains/webhooks/index.js';
import { repeatAt, type JobHandler } from './handler.js';

export const WEBHOOK_PURGE_EVERY_MS = 60 * 60 * 1000;

/** Deletes webhook events and final deliveries past their retention, then runs again an hour later. */
export function webhookPurge({ storage, clock }: { storage: Storage; clock: Clock }): JobHandler<z.output<(typeof JOB_PAYLOADS)['webhook.purge']>> {
  return async (_payload, { signal, logger }) => {
    const cutoff = iso(new Date(clock.now().getTime() - WEBHOOK_HISTORY_RETENTION_MS));
    const deleted = await purgeWebhookHistory(storage.db, cutoff, signal);
    logger.info({ deleted, cutoff }, 'purged webhook events and deliveries past their retention');
    return repeatAt(new Date(clock.now().getTime() + WEBHOOK_PURGE_EVERY_MS));
  };
}

/** Schedules the purge unless it already is (its dedupe key makes it one job across all nodes). */
export function scheduleWebhookPurge(queue: JobQueue, executor: Executor, clock: Clock): Promise<string | null> {
  return queue.enqueue(executor, { type: 'webhook.purge', payload: {}, accountId: SYSTEM_ACCOUNT, dedupeKey: 'webhook.purge', runAt: clock.now() });
}
