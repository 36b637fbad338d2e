/**
 * Cross-node notification channels (PostgreSQL LISTEN/NOTIFY; in-process on SQLite).
 * `routing` carries an account id whenever anything an inbound-call decision reads has changed.
 */
export const CHANNELS = {
  routing: 'switchboard_routing',
  jobs: 'switchboard_jobs',
} as const;
