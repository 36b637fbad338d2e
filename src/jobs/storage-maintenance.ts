import type { z } from 'zod';
import type { Clock } from '../kernel/clock.js';
import { SYSTEM_ACCOUNT, type JOB_PAYLOADS, type JobQueue } from '../ports/jobs.js';
import type { Executor, Storage } from '../ports/storage.js';
import { repeatAt, type JobHandler } from './handler.js';

/** Often enough that the jobs table's dead rows never outnumber a few seconds of work. */
export const STORAGE_MAINTENANCE_EVERY_MS = 5000;

/** Has the database tidy the tables the app churns (`Storage.maintain`), then runs again shortly. */
export function storageMaintenance({ storage, clock }: { storage: Storage; clock: Clock }): JobHandler<z.output<(typeof JOB_PAYLOADS)['storage.maintain']>> {
  return async (_payload, { logger }) => {
    // A failed round (a vacuum cancelled by an operator, say) is logged; the next one comes as usual.
    await storage.maintain().then(
      (done) => done.length > 0 && logger.debug({ done }, 'maintained tables'),
      (error: unknown) => logger.warn({ err: error }, 'table maintenance failed'),
    );
    return repeatAt(new Date(clock.now().getTime() + STORAGE_MAINTENANCE_EVERY_MS));
  };
}

/** Schedules the maintenance unless it already is (its dedupe key makes it one job across all nodes). */
export function scheduleStorageMaintenance(queue: JobQueue, executor: Executor, clock: Clock): Promise<string | null> {
  return queue.enqueue(executor, { type: 'storage.maintain', payload: {}, accountId: SYSTEM_ACCOUNT, dedupeKey: 'storage.maintain', runAt: clock.now() });
}
