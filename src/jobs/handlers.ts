import type { Clock } from '../kernel/clock.js';
import type { JOB_PAYLOADS } from '../ports/jobs.js';
import type { Storage } from '../ports/storage.js';
import type { CallbackDispatcher } from '../domains/callbacks/index.js';
import type { FlowEngine } from '../domains/flows/index.js';
import { done, type JobHandlers } from './handler.js';
import { idempotencyPurge } from './idempotency-purge.js';

export interface JobDependencies {
  storage: Storage;
  clock: Clock;
  callbacks: CallbackDispatcher;
  flows: FlowEngine;
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
    'callback.connect': async ({ callback_id }, { accountId, detach }) => {
      detach();
      await callbacks.connectHolding(accountId, callback_id);
      return done();
    },
    // An interaction waits on calls, prompts and HTTP for most of its life: no worker slot either.
    'flow.run': async ({ interaction_id }, { accountId, detach, attempt, maxAttempts }) => {
      detach();
      try {
        await flows.run(accountId, interaction_id);
      } catch (error) {
        // The last attempt: the interaction would otherwise stay running with nothing left to run it.
        if (attempt >= maxAttempts) await flows.giveUp(accountId, interaction_id, error instanceof Error ? error.message : String(error));
        throw error;
      }
      return done();
    },
  } satisfies JobHandlers<typeof JOB_PAYLOADS>;
}
