import type { Job, JobQueue } from '../../ports/jobs.js';
import type { Executor } from '../../ports/storage.js';
import { deliverJobKey } from './webhook-views.js';
import { webhooksRepo } from './webhooks.repo.js';

/**
 * Stops every pending delivery to an endpoint: drops their jobs and marks them failed with
 * `reason`. A delivery whose attempt is running finds itself final when it records the attempt.
 */
export async function cancelPendingDeliveries(jobs: JobQueue<Job>, executor: Executor, accountId: string, endpointId: string, reason: string, at: string): Promise<void> {
  const repo = webhooksRepo(executor);
  for (const deliveryId of await repo.pendingDeliveryIds(accountId, endpointId)) await jobs.cancel(executor, accountId, deliverJobKey(deliveryId));
  await repo.failPendingDeliveries(accountId, endpointId, reason, at);
}
