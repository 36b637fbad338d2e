import type { Clock } from '../kernel/clock.js';
import type { JobQueue } from '../ports/jobs.js';
import type { Storage } from '../ports/storage.js';
import { scheduleIdempotencyPurge } from './idempotency-purge.js';
import { scheduleCaseTrashPurge } from './case-trash-purge.js';
import { scheduleWebhookPurge } from './webhook-purge.js';
import { scheduleStorageMaintenance } from './storage-maintenance.js';

/**
 * Makes sure every recurring job exists. Each is a singleton by dedupe key and reschedules itself
 * when it runs, so calling this at every node's start (or again after one failed for good) is safe.
 */
export async function scheduleRecurringJobs(queue: JobQueue, storage: Storage, clock: Clock): Promise<void> {
  await scheduleIdempotencyPurge(queue, storage.db, clock);
  await scheduleCaseTrashPurge(queue, storage.db, clock);
  await scheduleWebhookPurge(queue, storage.db, clock);
  await scheduleStorageMaintenance(queue, storage.db, clock);
}
