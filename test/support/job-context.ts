import type { JobContext } from '../../src/jobs/index.js';
import { createLogger } from '../../src/kernel/logger.js';

/** The context a worker gives a handler, for calling a handler directly: attempt 1 of 10 unless told otherwise. */
export function jobContext(accountId: string, overrides: Partial<JobContext> = {}): JobContext {
  return {
    id: 'job', accountId, attempt: 1, maxAttempts: 10, signal: new AbortController().signal, logger: createLogger('silent'),
    detach: () => undefined, ...overrides,
  };
}
