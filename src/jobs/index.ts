export { createJobQueue, type JobQueueDependencies } from './queue.js';
export { createWorker, type Worker, type WorkerOptions, type WorkerStats } from './worker.js';
export { createJobHandlers, type JobDependencies } from './handlers.js';
export { scheduleRecurringJobs } from './schedule.js';
export { workerMetrics } from './metrics.js';
export { done, repeatAt, type JobContext, type JobHandler, type JobHandlers, type JobOutcome } from './handler.js';
export { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from './backoff.js';
export { IDEMPOTENCY_PURGE_EVERY_MS, idempotencyPurge } from './idempotency-purge.js';
export { IDEMPOTENCY_RETENTION_MS } from './retention.js';
