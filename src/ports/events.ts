import type { Executor } from './storage.js';

/** Every event an account's webhooks can subscribe to (API.md, Webhooks). */
export const EVENT_TYPES = [
  'message.sent', 'message.delivered', 'message.read', 'message.expired', 'message.failed',
  'case.created', 'case.updated', 'case.resolved', 'case.closed',
  'interaction.completed', 'interaction.failed',
  'callback.queued', 'callback.connected', 'callback.failed',
  'continuity.activated', 'continuity.deactivated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Publishes a domain event to the account's webhooks. Called inside the transaction that makes
 * the change, so an event exists exactly when its change committed; delivery (signing, retries)
 * happens afterwards through durable jobs.
 */
export interface EventPublisher {
  publish(executor: Executor, accountId: string, type: EventType, data: Record<string, unknown>): Promise<void>;
}
