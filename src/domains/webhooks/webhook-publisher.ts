import type { Clock } from '../../kernel/clock.js';
import { newId } from '../../kernel/ids.js';
import type { EventPublisher, EventType } from '../../ports/events.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { Executor } from '../../ports/storage.js';
import type { SubscribedEndpoints } from './subscribed-endpoints.js';
import { deliverJobKey } from './webhook-views.js';
import { matches } from './webhooks.model.js';
import { webhooksRepo, type DeliveryRow } from './webhooks.repo.js';

/**
 * The `EventPublisher` of the platform: inside the caller's transaction, records the event and
 * one pending delivery (and its job) per enabled endpoint of the account that subscribes to it.
 * An event no endpoint wants is not stored (the account's endpoints are kept in memory).
 */
export class WebhookPublisher implements EventPublisher {
  constructor(private readonly clock: Clock, private readonly jobs: JobQueue<Job>, private readonly endpoints: SubscribedEndpoints) {}

  async publish(executor: Executor, accountId: string, type: EventType, data: Record<string, unknown>): Promise<void> {
    const endpoints = (await this.endpoints.enabled(executor, accountId)).filter((endpoint) => matches(endpoint.events, type));
    if (endpoints.length === 0) return;
    const repo = webhooksRepo(executor);
    const now = this.clock.now();
    const at = now.toISOString();
    const eventId = newId(now.getTime());
    await repo.insertEvent({ account_id: accountId, id: eventId, type, data: JSON.stringify(data), created_at: at });
    const deliveries: DeliveryRow[] = endpoints.map((endpoint) => ({
      account_id: accountId, id: newId(now.getTime()), endpoint_id: endpoint.id, event_id: eventId, event_type: type, status: 'pending',
      attempts: '[]', next_attempt_at: at, failure_reason: null, created_at: at, updated_at: at,
    }));
    await repo.insertDeliveries(deliveries);
    for (const delivery of deliveries) {
      await this.jobs.enqueue(executor, { type: 'webhook.deliver', payload: { delivery_id: delivery.id }, accountId, dedupeKey: deliverJobKey(delivery.id), here: true });
    }
  }
}
