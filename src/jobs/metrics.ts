import type { Clock } from '../kernel/clock.js';
import type { Db } from '../ports/storage.js';
import { jobBacklog } from './jobs.repo.js';
import type { Worker } from './worker.js';

/** The worker's counters in the shape `Metrics.expose` takes, read at scrape time. */
export function workerMetrics(worker: Pick<Worker, 'stats'>) {
  return [
    { name: 'switchboard_jobs_running', help: 'Jobs this node is running now', read: () => worker.stats.running },
    { name: 'switchboard_jobs_claimed_total', help: 'Job attempts this node claimed', read: () => worker.stats.claimed, monotonic: true },
    { name: 'switchboard_jobs_succeeded_total', help: 'Job attempts that finished (done or rescheduled)', read: () => worker.stats.succeeded, monotonic: true },
    { name: 'switchboard_jobs_retried_total', help: 'Job attempts that failed and were scheduled again with backoff', read: () => worker.stats.retried, monotonic: true },
    { name: 'switchboard_jobs_failed_total', help: 'Jobs given up on (attempts used up or invalid payload); kept as failed', read: () => worker.stats.failed, monotonic: true },
    { name: 'switchboard_jobs_leases_lost_total', help: 'Job attempts whose outcome was not recorded because another node had claimed the job', read: () => worker.stats.leasesLost, monotonic: true },
  ];
}

/**
 * The job table as every node shares it, read at scrape time: how many jobs of each type are
 * pending, running or failed (kept), and how long the oldest pending one already due has waited,
 * which grows when the workers fall behind or none runs.
 */
export function backlogMetrics(db: Db, clock: Clock) {
  // Both gauges are collected in one scrape: they share one query.
  let reading: Promise<{ now: number; rows: Awaited<ReturnType<typeof jobBacklog>> }> | undefined;
  const read = () => {
    if (!reading) {
      const now = clock.now();
      reading = jobBacklog(db, now.toISOString()).then((rows) => ({ now: now.getTime(), rows }));
      void reading.finally(() => (reading = undefined)).catch(() => undefined);
    }
    return reading;
  };
  return [
    {
      name: 'switchboard_jobs_in_table',
      help: 'Jobs in the shared jobs table by type and status (pending, running, failed)',
      labelNames: ['type', 'status'],
      read: async () => (await read()).rows.map((row) => ({ labels: { type: row.type, status: row.status }, value: Number(row.n) })),
    },
    {
      name: 'switchboard_jobs_overdue_seconds',
      help: 'How long the oldest pending job of each type has waited past its run time',
      labelNames: ['type'],
      read: async () => {
        const { now, rows } = await read();
        return rows.filter((row) => row.oldest_due !== null).map((row) => ({ labels: { type: row.type }, value: Math.max(0, (now - Date.parse(row.oldest_due ?? '')) / 1000) }));
      },
    },
  ];
}
