import type { Clock } from '../kernel/clock.js';
import type { JOB_PAYLOADS } from '../ports/jobs.js';
import type { Storage } from '../ports/storage.js';
import type { CallbackDispatcher } from '../domains/callbacks/index.js';
import type { FlowEngine } from '../domains/flows/index.js';
import type { CaseAutomation } from '../domains/cases/index.js';
import type { MessageDelivery } from '../domains/messaging/index.js';
import type { WebhookSender } from '../domains/webhooks/index.js';
import { done, repeatAt, type JobHandlers } from './handler.js';
import type { JobRow } from './jobs.repo.js';
import { parseJson } from '../kernel/json.js';
import { idempotencyPurge } from './idempotency-purge.js';
import { caseTrashPurge } from './case-trash-purge.js';
import { webhookPurge } from './webhook-purge.js';
import { storageMaintenance } from './storage-maintenance.js';

export interface JobDependencies {
  storage: Storage;
  clock: Clock;
  callbacks: CallbackDispatcher;
  flows: FlowEngine;
  cases: CaseAutomation;
  messages: MessageDelivery;
  webhooks: WebhookSender;
}

/**
 * What a job abandoned by dead workers leaves behind (`WorkerOptions.abandoned`): an interaction,
 * a message or a webhook delivery ends as failed, saying why, as when its handler's last attempt throws.
 */
export function abandonedJobs(deps: Pick<JobDependencies, 'flows' | 'messages' | 'webhooks'>): (row: JobRow, reason: string) => Promise<void> {
  return async (row, reason) => {
    const payload = parseJson<Record<string, unknown>>(row.payload);
    if (row.type === 'flow.run' && typeof payload.interaction_id === 'string') await deps.flows.giveUp(row.account_id, payload.interaction_id, reason);
    if (row.type === 'message.send' && typeof payload.message_id === 'string') await deps.messages.giveUp(row.account_id, payload.message_id, reason);
    if (row.type === 'webhook.deliver' && typeof payload.delivery_id === 'string') await deps.webhooks.giveUp(row.account_id, payload.delivery_id, reason);
  };
}

/** A handler for every job type in `JOB_PAYLOADS`; adding a type there fails to compile here until it has one. */
export function createJobHandlers(deps: JobDependencies): JobHandlers<typeof JOB_PAYLOADS> {
  const { callbacks, flows } = deps;
  return {
    'idempotency.purge': idempotencyPurge(deps),
    'callback.dispatch': async ({ skill_id }, { accountId }) => {
      await callbacks.dispatch(accountId, skill_id);
      return done();
    },
    // A callback's call waits on the network for as long as it lasts: it takes none of the worker's slots.
    'callback.dial': async ({ callback_id }, { accountId, detach }) => {
      detach();
      await callbacks.dial(accountId, callback_id);
      return done();
    },
    // An interaction waits on calls, prompts and HTTP for most of its life: no worker slot either.
    'flow.run': async ({ interaction_id }, { accountId, detach, attempt, maxAttempts }) => {
      detach();
      try {
        await flows.run(accountId, interaction_id, attempt > 1);
      } catch (error) {
        // The last attempt: the interaction would otherwise stay running with nothing left to run it.
        if (attempt >= maxAttempts) await flows.giveUp(accountId, interaction_id, error instanceof Error ? error.message : String(error));
        throw error;
      }
      return done();
    },
    // Re-checks the case and the account's current delay: a lengthened delay has it wait again.
    'case.auto_close': async ({ case_id }, { accountId }) => {
      const again = await deps.cases.autoClose(accountId, case_id);
      return again ? repeatAt(again) : done();
    },
    'case.trash_purge': caseTrashPurge({ cases: deps.cases, clock: deps.clock }),
    // Sends run in a pool of their own (app.ts): a node sends as many messages at once as the pool
    // holds, and the rest wait in the table until a place frees, so a burst of sends is queued
    // rather than slowing every send (and the API) down.
    'message.send': async ({ message_id }, { accountId, signal, attempt, maxAttempts }) => {
      try {
        await deps.messages.deliver(accountId, message_id, signal);
      } catch (error) {
        // The last attempt: the message would otherwise stay processing with nothing left to send it.
        if (attempt >= maxAttempts) await deps.messages.giveUp(accountId, message_id, error instanceof Error ? error.message : String(error));
        throw error;
      }
      return done();
    },
    'message.escalate': async ({ message_id, rule }, { accountId }) => {
      await deps.messages.escalate(accountId, message_id, rule);
      return done();
    },
    'message.expire': async ({ message_id }, { accountId }) => {
      await deps.messages.expire(accountId, message_id);
      return done();
    },
    // An attempt waits on the customer's receiver (at most its timeout): no worker slot meanwhile.
    // A failed attempt repeats the job at the backoff's time, with the attempts kept on the delivery.
    'webhook.deliver': async ({ delivery_id }, { accountId, detach, attempt, maxAttempts }) => {
      detach();
      try {
        const again = await deps.webhooks.deliver(accountId, delivery_id);
        return again ? repeatAt(again) : done();
      } catch (error) {
        // The last attempt: the delivery would otherwise stay pending with nothing left to send it.
        if (attempt >= maxAttempts) await deps.webhooks.giveUp(accountId, delivery_id, error instanceof Error ? error.message : String(error));
        throw error;
      }
    },
    'webhook.purge': webhookPurge(deps),
    'storage.maintain': storageMaintenance(deps),
  } satisfies JobHandlers<typeof JOB_PAYLOADS>;
}
