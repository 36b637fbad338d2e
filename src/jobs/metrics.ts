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
