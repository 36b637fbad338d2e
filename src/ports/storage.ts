import type { Kysely, Transaction } from 'kysely';

/**
 * The tables, as every repository sees them on both dialects. Timestamps are ISO-8601 strings
 * (timestamptz on PostgreSQL, read back as ISO strings), JSON columns are text, flags are 0/1.
 * Every table is keyed by account_id first so the schema can be distributed by account.
 */
export interface Database {
  accounts: { id: string; name: string; timezone: string; default_country: string; limits: string; created_at: string };
  clients: {
    account_id: string; id: string; name: string; secret_hash: string; scopes: string;
    created_at: string; revoked_at: string | null;
  };
  service_tokens: {
    account_id: string; id: string; name: string; token_hash: string; scopes: string;
    expires_at: string | null; created_at: string; revoked_at: string | null;
  };
  idempotency_keys: {
    account_id: string; key: string; route: string; request_hash: string;
    status_code: number | null; response_body: string | null; created_at: string;
  };
  numbers: {
    account_id: string; number: string; name: string; inbound_flow_id: string | null;
    created_at: string; updated_at: string;
  };
  skills: {
    account_id: string; id: string; name: string; callback_strategy: string; language: string;
    max_attempts: number; retry_delay_s: number; announcements: string; created_at: string; updated_at: string;
  };
  agents: {
    account_id: string; id: string; name: string; email: string | null; status: string; phone: string | null;
    status_changed_at: string; created_at: string; updated_at: string;
  };
  agent_skills: { account_id: string; agent_id: string; skill_id: string };
  groups: { account_id: string; id: string; name: string; created_at: string; updated_at: string };
  group_members: { account_id: string; group_id: string; agent_id: string };
  continuity: {
    account_id: string; forward: string; message: string | null; settings_updated_at: string | null;
    enabled: number; changed_at: string | null; changed_by: string | null;
  };
  continuity_audit: {
    account_id: string; id: string; change: string; actor: string; detail: string; created_at: string;
  };
  calls: {
    account_id: string; id: string; direction: string; from_number: string; to_number: string;
    started_at: string; ended_at: string | null; outcome: string | null; decision: string | null;
    continuity: number; events: string; updated_at: string;
    /** What the call was for (a callback request, a callback leg...); null for ordinary calls. */
    kind: string | null; skill: string | null;
  };
  callbacks: {
    account_id: string; id: string; skill_id: string; skill: string; number: string; state: string;
    agent_id: string | null; attempts: string; requests: number; last_requested_at: string;
    queued_at: string; next_attempt_at: string; dialing_since: string | null; accepted_at: string | null;
    customer_call_id: string | null; created_at: string; updated_at: string;
  };
  /** `draft` is JSON text as the client wrote it; `versions` counts publications (the latest version's number). */
  flows: {
    account_id: string; id: string; name: string; description: string | null; draft: string; draft_updated_at: string;
    versions: number; published_version_id: string | null; published_at: string | null; created_at: string; updated_at: string;
  };
  /** Published versions: written once, never updated; `definition` is the validated JSON with defaults applied. */
  flow_versions: { account_id: string; id: string; flow_id: string; version: number; definition: string; published_at: string };
  /** One run of a published flow version; `variables`, `arguments` and `call` are JSON text. */
  interactions: {
    account_id: string; id: string; flow_id: string; flow_version_id: string; flow_execution_id: string; status: string;
    arguments: string; variables: string; current: string | null; call: string | null; placing: string | null; steps: number; repeats: number;
    reason: string | null; created_at: string; updated_at: string; ended_at: string | null;
  };
  /** What each step of an interaction did; `detail` is JSON text. */
  interaction_steps: {
    account_id: string; interaction_id: string; seq: number; component: string; type: string; exit: string | null;
    started_at: string; ended_at: string; detail: string;
  };
  /** Custom case statuses; the six built-in ones are not rows (their ids are their category names). */
  case_statuses: {
    account_id: string; id: string; name: string; name_key: string; category: string; active: number; created_at: string; updated_at: string;
  };
  /** `custom_fields` and `related` are JSON text; `search_text` is title, description and note bodies. */
  cases: {
    account_id: string; id: string; title: string; description: string | null; status_id: string; status_category: string;
    type: string; priority: string | null; priority_rank: number; requester_id: string | null; requester_name: string | null;
    requester_email: string | null; requester_phone: string | null; assignee_id: string | null; group_id: string | null;
    problem_id: string | null; due_at: string | null; resolution: string | null; custom_fields: string; channel: string | null;
    related: string; search_text: string; created_by: string; created_at: string; updated_at: string;
    resolved_at: string | null; closed_at: string | null; deleted_at: string | null;
  };
  case_notes: { account_id: string; id: string; case_id: string; body: string; visibility: string; author: string; created_at: string };
  /** One entry per change; `old_value`/`new_value` are JSON text. */
  case_audit: {
    account_id: string; id: string; case_id: string; actor: string; action: string; field: string | null;
    old_value: string | null; new_value: string | null; detail: string | null; created_at: string;
  };
  case_settings: { account_id: string; auto_close_after_days: number; updated_at: string };
  sim_phones: { account_id: string; number: string; script: string; updated_at: string };
  /** A customer's addresses and opt-outs (`/profiles`); `opt_outs` is a JSON array of channel ids; only the app token's hash is kept. */
  message_profiles: {
    account_id: string; id: string; phone_number: string | null; email: string | null; fb_messenger_id: string | null; whatsapp_id: string | null;
    opt_outs: string; last_inbound_whatsapp_at: string | null; app_token_id: string | null; app_token_hash: string | null;
    app_token_issued_at: string | null; created_at: string; updated_at: string;
  };
  /** One send (`POST /messages`); JSON text: recipient, custom_body, channel_options, metadata, rules, channel_status, attempts. */
  messages: {
    account_id: string; id: string; status: string; profile_id: string | null; recipient: string; body: string; title: string | null;
    custom_body: string; channel_options: string; metadata: string; rules: string; expires_on: string | null;
    routing: string; next_rule: number; waiting_rule: number | null; channel: string | null; channel_status: string; attempts: string;
    created_at: string; updated_at: string;
  };
  /** The provider's id for each channel that accepted a message (receipts are found by it), and the address it went to (null before 0015). */
  message_deliveries: { account_id: string; message_id: string; channel: string; provider: string | null; provider_message_id: string; address: string | null; created_at: string };
  /**
   * A provider receipt that named no recorded send when it came, with the request that carried it
   * (`headers` JSON text), kept a few minutes for the send to claim; `account_id` is the account of
   * an account-scoped callback URL, or '' when the request is not verified yet.
   */
  message_pending_receipts: {
    account_id: string; id: string; channel: string; provider_message_id: string; status: string; reported_at: string;
    details: string | null; raw_body: string; headers: string; url: string; created_at: string;
  };
  /** The account's providers of one channel; `providers` is JSON text whose credentials are encrypted. */
  channel_configs: { account_id: string; channel: string; providers: string; updated_at: string };
  /** App streams (`GET /app/stream`) open on some node, refreshed while open. */
  app_sessions: { account_id: string; profile_id: string; id: string; node: string; seen_at: string };
  /** An account's outbound webhook endpoint; `events` is a JSON array of types and `family.*` patterns; `secret` is sealed. */
  webhook_endpoints: {
    account_id: string; id: string; url: string; description: string | null; events: string; secret: string;
    enabled: number; disabled_reason: string | null; created_at: string; updated_at: string;
  };
  /** An event published to at least one endpoint; `data` is JSON text. */
  webhook_events: { account_id: string; id: string; type: string; data: string; created_at: string };
  /** One event to one endpoint; `attempts` is JSON text; `status` is pending, succeeded or failed. */
  webhook_deliveries: {
    account_id: string; id: string; endpoint_id: string; event_id: string; event_type: string; status: string; attempts: string;
    next_attempt_at: string | null; failure_reason: string | null; created_at: string; updated_at: string;
  };
  /**
   * Admission times (ms since the epoch, ascending) within each account's bucket's last two windows
   * and the latest request's decision (0/1). `hits` is bigint[]; only the rate limiter's one statement reads
   * or writes this table, on PostgreSQL (on SQLite, whose database one process owns, the log is in memory).
   */
  rate_limits: { account_id: string; bucket: string; hits: number[] | string; admitted: number };
  /** Durable background work; finished jobs are deleted, so rows are pending, running or failed. */
  jobs: {
    id: string; account_id: string; type: string; payload: string; dedupe_key: string | null;
    status: 'pending' | 'running' | 'failed'; run_at: string; attempts: number; max_attempts: number;
    locked_by: string | null; locked_until: string | null; last_error: string | null;
    created_at: string; updated_at: string;
  };
}

export type Db = Kysely<Database>;
/** A connection or an open transaction: what repository methods take so callers can compose writes. */
export type Executor = Kysely<Database> | Transaction<Database>;
export type DialectName = 'sqlite' | 'postgres';

/**
 * More work a caller hands to the transaction that commits a result: it runs once the result is
 * built, before the commit, so it is durable exactly when the result is (an Idempotency-Key's answer).
 */
export type WithResult<T> = (trx: Transaction<Database>, result: T) => Promise<void>;

/** The storage handle the composition root hands to every domain. */
export interface Storage {
  db: Db;
  dialect: DialectName;
  /** Resolves when the database answers a trivial query within `timeoutMs`, rejects otherwise. */
  ping(timeoutMs?: number): Promise<void>;
  /** Subscribes to a cross-node notification channel (PostgreSQL LISTEN); local-only on SQLite. */
  listen(channel: string, onMessage: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /**
   * Runs `work` in a transaction it may share with other work submitted meanwhile (group commit);
   * resolves after that transaction committed. For short writes on the hot path, each its own
   * unit: work that throws rejects alone (the others run again without it).
   */
  batch<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Publishes on a channel inside `executor`'s transaction when it is one (delivered at commit). */
  notify(executor: Executor, channel: string, payload: string): Promise<void>;
  /**
   * Tidies the tables the app churns and says what it did (`vacuum jobs`). PostgreSQL vacuums and
   * analyzes those past autovacuum's default thresholds, whether or not autovacuum runs; SQLite
   * reuses deleted pages by itself and has nothing to do.
   */
  maintain(): Promise<string[]>;
  close(): Promise<void>;
}

/** Node's codes for a connection that could not be made or was lost. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL shutting down or starting up, too many connections; SQLite busy past its timeout. */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'SQLITE_BUSY']);

/**
 * Whether `error` says the database could not be reached or is not taking work now, rather than
 * that a statement was wrong: a connection refused, reset or timed out; PostgreSQL's connection
 * exceptions (class 08), shutting down or starting up (57P01–57P03) and too many connections
 * (53300); the pool giving up on a connection; SQLite busy past its timeout. Such a request may
 * well succeed if sent again shortly.
 */
export function isStorageUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08') || UNAVAILABLE_CODES.has(code))) return true;
  if (/Connection terminated|timeout exceeded when trying to connect/i.test(error.message)) return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isStorageUnavailable(inner, depth + 1))) return true;
  return isStorageUnavailable(error.cause, depth + 1);
}
