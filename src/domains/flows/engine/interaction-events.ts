import { parseJson } from '../../../kernel/json.js';
import type { EventPublisher, EventType } from '../../../ports/events.js';
import type { Executor } from '../../../ports/storage.js';
import type { ActiveCall, InteractionStatus } from './interaction.model.js';
import { interactionsRepo } from './interactions.repo.js';

/** The webhook event of each status an interaction ends in (API.md defines none for `cancelled`). */
const END_EVENTS = {
  running: undefined,
  completed: 'interaction.completed',
  failed: 'interaction.failed',
  cancelled: undefined,
} as const satisfies Record<InteractionStatus, EventType | undefined>;

/**
 * Publishes how an interaction ended, through the transaction that ended it: the identifying
 * fields of `GET /interactions/{id}` with its status, failure reason and times, plus the number of
 * the version it ran and the call-log id of the call the flow held (null if none was answered).
 */
export async function publishEnd(executor: Executor, events: EventPublisher, accountId: string, interactionId: string): Promise<void> {
  const row = await interactionsRepo(executor).findWithVersion(accountId, interactionId);
  const type = row && END_EVENTS[row.status as InteractionStatus];
  if (!row || !type) return;
  await events.publish(executor, accountId, type, {
    interaction_id: row.id,
    flow_id: row.flow_id,
    flow_version_id: row.flow_version_id,
    version: row.version === null ? null : Number(row.version),
    flow_execution_id: row.flow_execution_id,
    status: row.status,
    reason: row.reason,
    call_id: row.call === null ? null : parseJson<ActiveCall>(row.call).call_id,
    created_at: row.created_at,
    ended_at: row.ended_at,
  });
}
