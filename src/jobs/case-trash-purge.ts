import type { z } from 'zod';
import type { Clock } from '../kernel/clock.js';
import { SYSTEM_ACCOUNT, type JOB_PAYLOADS, type JobQueue } from '../ports/jobs.js';
import type { Executor } from '../ports/storage.js';
import type { CaseAutomation } from '../domains/cases/index.js';
import { repeatAt, type JobHandler } from './handler.js';

export const CASE_TRASH_PURGE_EVERY_MS = 60 * 60 * 1000;

/** Deletes cases trashed more than 30 days ago, then runs again an hour later. */
export function caseTrashPurge({ cases, clock }: { cases: CaseAutomation; clock: Clock }): JobHandler<z.output<(typeof JOB_PAYLOADS)['case.trash_purge']>> {
  return async (_payload, { signal, logger }) => {
    const deleted = await cases.purgeTrash(signal);
    logger.info({ deleted }, 'purged cases trashed more than 30 days ago');
    return repeatAt(new Date(clock.now().getTime() + CASE_TRASH_PURGE_EVERY_MS));
  };
}

/** Schedules the purge unless it already is (its dedupe key makes it one job across all nodes). */
export function scheduleCaseTrashPurge(queue: JobQueue, executor: Executor, clock: Clock): Promise<string | null> {
  return queue.enqueue(executor, { type: 'case.trash_purge', payload: {}, accountId: SYSTEM_ACCOUNT, dedupeKey: 'case.trash_purge', runAt: clock.now() });
}
