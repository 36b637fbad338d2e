import type { Clock } from '../../kernel/clock.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { EventPublisher } from '../../ports/events.js';
import { toCaseView } from './case-view.js';
import type { Executor, Storage } from '../../ports/storage.js';
import { caseActivityRepo } from './case-activity.repo.js';
import { newId } from '../../kernel/ids.js';
import type { CaseSettingsService } from './case-settings.service.js';
import { casesRepo, incidentsOfPurgedProblems, purgeTrashedBatch, PURGE_BATCH } from './cases.repo.js';
import { BUILT_IN_STATUS, SYSTEM_ACTOR } from './cases.model.js';
import type { CaseStatusesService } from './statuses.service.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a trashed case is kept before it is deleted for good. */
export const TRASH_RETENTION_MS = 30 * DAY_MS;

export const autoCloseKey = (caseId: string): string => `case.auto_close:${caseId}`;

/** Schedules the auto-close of a case just resolved, inside the transaction that resolved it. */
export async function scheduleAutoClose(jobs: JobQueue<Job>, executor: Executor, accountId: string, caseId: string, resolvedAt: string, days: number): Promise<void> {
  await jobs.enqueue(executor, {
    type: 'case.auto_close',
    payload: { case_id: caseId },
    accountId,
    dedupeKey: autoCloseKey(caseId),
    runAt: new Date(Date.parse(resolvedAt) + days * DAY_MS),
  });
}

/** Drops the pending auto-close of a case that left its resolved status (its handler would skip it anyway). */
export function cancelAutoClose(jobs: JobQueue<Job>, executor: Executor, accountId: string, caseId: string): Promise<boolean> {
  return jobs.cancel(executor, accountId, autoCloseKey(caseId));
}

/** What the job handlers run for cases: auto-close and the trash purge. */
export class CaseAutomation {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly statuses: CaseStatusesService,
    private readonly settings: CaseSettingsService,
    /** Where case.updated and case.closed go when auto-close closes a case. */
    private readonly events?: EventPublisher,
  ) {}

  /**
   * Closes the case if it is still resolved and the account's current delay has passed since it
   * was resolved. Resolves to when to look again (the delay was lengthened meanwhile), or
   * undefined when there is nothing more to do (closed now, reopened, or gone).
   */
  async autoClose(accountId: string, caseId: string): Promise<Date | undefined> {
    return this.storage.db.transaction().execute(async (trx) => {
      const cases = casesRepo(trx, this.storage.dialect);
      const row = await cases.find(accountId, caseId, true);
      // A case in the trash is left as it is; restoring it schedules its auto-close again.
      if (!row || row.status_category !== 'resolved' || row.resolved_at === null || row.deleted_at !== null) return undefined;
      const { auto_close_after_days: days } = await this.settings.get(accountId, trx);
      const due = new Date(Date.parse(row.resolved_at) + days * DAY_MS);
      const now = this.clock.now();
      if (now < due) return due;
      const at = now.toISOString();
      const closed = BUILT_IN_STATUS.closed;
      await cases.update(accountId, caseId, { status_id: closed.id, status_category: closed.category, closed_at: at, updated_at: at });
      const before = await this.statuses.byId(accountId, row.status_id, trx);
      await caseActivityRepo(trx).insertAudit(accountId, [{
        id: newId(now.getTime()), case_id: caseId, actor: SYSTEM_ACTOR, action: 'auto_closed', field: 'status',
        old_value: before?.name ?? row.status_id, new_value: closed.name, detail: `closed ${days} days after it was resolved`, created_at: at,
      }]);
      const view = toCaseView({ ...row, status_id: closed.id, status_category: closed.category, closed_at: at, updated_at: at }, closed.name) as unknown as Record<string, unknown>;
      await this.events?.publish(trx, accountId, 'case.updated', view);
      await this.events?.publish(trx, accountId, 'case.closed', view);
      return undefined;
    });
  }

  /** Deletes cases trashed longer than the retention, in batches; how many went. */
  async purgeTrash(signal?: AbortSignal): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - TRASH_RETENTION_MS).toISOString();
    let deleted = 0;
    for (;;) {
      const batch = await this.storage.db.transaction().execute(async (trx) => {
        await this.unlinkFromPurgedProblems(trx, cutoff);
        return purgeTrashedBatch(trx, cutoff);
      });
      deleted += batch;
      if (batch < PURGE_BATCH || signal?.aborted) return deleted;
    }
  }

  /** Incidents whose problem goes with this purge lose the link, audited, instead of pointing at nothing. */
  private async unlinkFromPurgedProblems(trx: Executor, cutoff: string): Promise<void> {
    for (;;) {
      const incidents = await incidentsOfPurgedProblems(trx, cutoff, PURGE_BATCH);
      const now = this.clock.now();
      const at = now.toISOString();
      for (const incident of incidents) {
        await casesRepo(trx, this.storage.dialect).update(incident.account_id, incident.id, { problem_id: null, updated_at: at });
        await caseActivityRepo(trx).insertAudit(incident.account_id, [{
          id: newId(now.getTime()), case_id: incident.id, actor: SYSTEM_ACTOR, action: 'changed', field: 'problem_id',
          old_value: incident.problem_id, new_value: null, detail: 'its problem was purged from the trash', created_at: at,
        }]);
      }
      if (incidents.length < PURGE_BATCH) return;
    }
  }
}
