import { type Migration, sql } from 'kysely';
import type { AnyDb } from './common.js';

/**
 * Live jobs by type, then time: a worker's pools claim separately, and a pool with few due jobs
 * must not walk another pool's backlog in `run_at` order to find them (a burst of sends in front of
 * a webhook delivery or a flow). The predicate is the live index's, word for word.
 */
export function jobsByType(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createIndex('jobs_live_by_type')
        .on('jobs')
        .columns(['type', 'run_at'])
        .where(sql.raw<boolean>("status in ('pending', 'running')"))
        .execute();
    },
  };
}
