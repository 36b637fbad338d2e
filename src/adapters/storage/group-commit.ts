import type { Transaction } from 'kysely';
import type { Database, Db } from '../../ports/storage.js';

type Work = (trx: Transaction<Database>) => Promise<unknown>;

interface Pending {
  work: Work;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** The most pieces of work one shared transaction takes. */
const MAX_BATCH = 256;

/**
 * Group commit: small pieces of work submitted while a transaction is being committed share the
 * next one, so a commit (a WAL write on SQLite, a WAL flush on PostgreSQL) is paid once per
 * group instead of once per piece. Each caller's promise settles after the commit that made its
 * work durable. Work that throws rolls its group back; every piece of that group then runs again
 * in a transaction of its own, so one failure fails only its own caller.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private lanesBusy = 0;
  private scheduled = false;

  /** `lanes`: how many groups may run at once, each on a connection of its own (1 where there is one connection). */
  constructor(private readonly db: Db, private readonly lanes = 1) {}

  run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // Work submitted in the same turn of the event loop joins the same group.
      if (!this.scheduled && this.lanesBusy < this.lanes) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.drain();
        });
      }
    });
  }

  /** One lane: commits the waiting work as a group, again while work is waiting. */
  private async drain(): Promise<void> {
    this.lanesBusy += 1;
    while (this.queue.length > 0) {
      const group = this.queue.splice(0, MAX_BATCH);
      await (group.length === 1 ? this.alone(group[0] as Pending) : this.together(group));
    }
    this.lanesBusy -= 1;
  }

  private async together(group: Pending[]): Promise<void> {
    let results: unknown[];
    try {
      results = await this.db.transaction().execute(async (trx) => {
        const values: unknown[] = [];
        for (const pending of group) values.push(await pending.work(trx));
        return values;
      });
    } catch {
      for (const pending of group) await this.alone(pending);
      return;
    }
    group.forEach((pending, i) => pending.resolve(results[i]));
  }

  private async alone(pending: Pending): Promise<void> {
    try {
      pending.resolve(await this.db.transaction().execute((trx) => pending.work(trx)));
    } catch (error) {
      pending.reject(error);
    }
  }
}
