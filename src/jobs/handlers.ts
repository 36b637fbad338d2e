import type { Clock } from '../kernel/clock.js';
import type { JOB_PAYLOADS } from '../ports/jobs.js';
import type { Storage } from '../ports/storage.js';
import type { JobHandlers } from './handler.js';
import { idempotencyPurge } from './idempotency-purge.js';

export interface JobDependencies {
  storage: Storage;
  clock: Clock;
}

/** A handler for every job type in `JOB_PAYLOADS`; adding a type there fails to compile here until it has one. */
export function createJobHandlers(deps: JobDependencies): JobHandlers<typeof JOB_PAYLOADS> {
  return {
    'idempotency.purge': idempotencyPurge(deps),
  } satisfies JobHandlers<typeof JOB_PAYLOADS>;
}
