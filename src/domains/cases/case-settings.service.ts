import type { Clock } from '../../kernel/clock.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { Executor, Storage } from '../../ports/storage.js';
import { CASE_SETTINGS_DEFAULTS, type CaseSettings } from './cases.model.js';

/** The account's case settings: how many days after resolution a case closes by itself. */
export class CaseSettingsService {
  constructor(private readonly storage: Storage, private readonly clock: Clock, private readonly jobs: JobQueue<Job>) {}

  async get(accountId: string, executor: Executor = this.storage.db): Promise<CaseSettings> {
    const row = await executor.selectFrom('case_settings').select('auto_close_after_days').where('account_id', '=', accountId).executeTakeFirst();
    return row ? { auto_close_after_days: Number(row.auto_close_after_days) } : { ...CASE_SETTINGS_DEFAULTS };
  }

  /**
   * A changed delay applies to cases already waiting: every pending auto-close of the account is
   * made due now in the same transaction, and each, when it runs, closes its case if the new delay
   * has passed since resolution or waits until it has. A longer delay never closes a case early,
   * a shorter one closes at the new, earlier time.
   */
  async put(accountId: string, settings: CaseSettings): Promise<CaseSettings> {
    const now = this.clock.now();
    return this.jobs.transaction(async (trx) => {
      const before = await this.get(accountId, trx);
      await trx
        .insertInto('case_settings')
        .values({ account_id: accountId, auto_close_after_days: settings.auto_close_after_days, updated_at: now.toISOString() })
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ auto_close_after_days: settings.auto_close_after_days, updated_at: now.toISOString() }))
        .execute();
      if (before.auto_close_after_days !== settings.auto_close_after_days) await this.jobs.reschedule(trx, accountId, 'case.auto_close', now);
      return { auto_close_after_days: settings.auto_close_after_days };
    });
  }
}
