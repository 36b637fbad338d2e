/**
 * Cross-node notification channels (PostgreSQL LISTEN/NOTIFY; in-process on SQLite).
 * `routing` carries `<account id>` (or `<account id>|<origin node>`) whenever anything an
 * inbound-call decision reads has changed; a node skips what it originated itself.
 */
export const CHANNELS = {
  routing: 'switchboard_routing',
  jobs: 'switchboard_jobs',
  /** `{a: account, p: profile, m: message}`: a message for an app stream open on another node. */
  appMessages: 'switchboard_app_messages',
  /** `<account id>`: the account's message channel configuration changed. */
  channelConfigs: 'switchboard_channel_configs',
  /** `<account id>`: the account's outbound webhook endpoints changed. */
  webhookEndpoints: 'switchboard_webhook_endpoints',
  /** `<client id>`: an OAuth client was revoked; its access tokens stop working on every node. */
  revokedClients: 'switchboard_revoked_clients',
} as const;
