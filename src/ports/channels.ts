/**
 * Cross-node notification channels (PostgreSQL LISTEN/NOTIFY; in-process on SQLite).
 * `routing` carries `<account id>` (or `<account id>|<origin node>`) whenever anything an
 * inbound-call decision reads has changed; a node skips what it originated itself.
 */
export const CHANNELS = {
  routing: 'switchboard_routing',
  jobs: 'switchboard_jobs',
} as const;
