import { CHANNEL_IDS, type ChannelAdapter, type ChannelId, type ChannelWebhook } from '../../ports/message-channels.js';

export { CHANNEL_IDS, type ChannelId };

/** The adapter the domain sends through for each channel; app.ts builds it. */
export type ChannelAdapters = Record<ChannelId, ChannelAdapter>;
/** The status webhooks (`POST /webhooks/<channel>`) of the channels whose provider has one. */
export type ChannelWebhooks = Partial<Record<ChannelId, ChannelWebhook>>;

/** A message's overall status (API.md, Messaging). */
export const MESSAGE_STATUSES = ['processing', 'sent', 'delivered', 'read', 'expired', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** One channel's status on a message. `processing`: an attempt is under way. */
export const CHANNEL_STATUSES = ['processing', 'skipped', 'rejected', 'failed', 'sent', 'delivered', 'read'] as const;
export type ChannelStatus = (typeof CHANNEL_STATUSES)[number];

/** What waiting on a channel's receipt may wait for. */
export const RECEIPT_GOALS = ['delivered', 'read'] as const;
export type ReceiptGoal = (typeof RECEIPT_GOALS)[number];

/** A rule after parsing: the channel, and optionally the receipt to wait for before trying the next one. */
export interface Rule {
  channel: ChannelId;
  until?: ReceiptGoal;
  within_s?: number;
}
/** A rule as the caller may write it: a channel id, or the object form. */
export type RuleInput = ChannelId | Rule;

export const ruleOf = (input: RuleInput): Rule => (typeof input === 'string' ? { channel: input } : input);

/** The addresses of `to`, phone already in E.164. */
export interface Recipient {
  profileId?: string | undefined;
  phoneNumber?: string | undefined;
  email?: string | undefined;
  fbMessengerId?: string | undefined;
  whatsAppId?: string | undefined;
}

export interface ChannelState {
  status: ChannelStatus;
  details: string;
  updatedOn: string;
  /** The provider that took (or last tried) it; null for appMessaging and skipped channels. */
  provider?: string | null;
}
export type ChannelStates = Partial<Record<ChannelId, ChannelState>>;

/** `timed_out`: accepted, but the awaited receipt did not come within `within_s`, so the next channel was tried. */
export const ATTEMPT_OUTCOMES = ['skipped', 'accepted', 'rejected', 'failed', 'timed_out'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export interface Attempt {
  channel: ChannelId;
  provider: string | null;
  outcome: AttemptOutcome;
  details: string;
  at: string;
}

/**
 * Where the send stands. `active`: channels remain to be tried (a `message.send` job is due or
 * running). `waiting`: a channel accepted it under an `until` rule; the next channel is tried if
 * the receipt does not come in time. `done`: nothing more will be sent.
 */
export type Routing = 'active' | 'waiting' | 'done';

/** A message as stored, JSON columns parsed. */
export interface Message {
  accountId: string;
  id: string;
  status: MessageStatus;
  profileId: string | null;
  to: Recipient;
  body: string;
  title: string | null;
  customBody: Partial<Record<ChannelId, string>>;
  channelOptions: Partial<Record<ChannelId, Record<string, unknown>>>;
  metadata: Record<string, unknown>;
  rules: RuleInput[];
  expiresOn: string | null;
  routing: Routing;
  nextRule: number;
  waitingRule: number | null;
  channel: ChannelId | null;
  channelStatus: ChannelStates;
  attempts: Attempt[];
  createdOn: string;
  updatedOn: string;
}

/** What `POST /messages` takes, after its schema. */
export interface SendInput {
  body: string;
  title?: string | null | undefined;
  to: Recipient;
  rules: RuleInput[];
  channelOptions?: Partial<Record<ChannelId, Record<string, unknown>>> | undefined;
  customBody?: Partial<Record<ChannelId, string>> | undefined;
  metadata?: Record<string, unknown> | undefined;
  expiresOn?: string | undefined;
}

export interface MessageFilters {
  status?: MessageStatus | undefined;
  channel?: ChannelId | undefined;
  profileId?: string | undefined;
  created_from?: string | undefined;
  created_to?: string | undefined;
}

/** A customer's addressing data and consent. */
export interface Profile {
  profile_id: string;
  phone_number: string | null;
  email: string | null;
  fb_messenger_id: string | null;
  whatsapp_id: string | null;
  opt_outs: ChannelId[];
  last_inbound_whatsapp_at: string | null;
  app: { token_issued_at: string | null };
  created_at: string;
  updated_at: string;
}

export interface ProfileInput {
  phone_number?: string | null | undefined;
  email?: string | null | undefined;
  fb_messenger_id?: string | null | undefined;
  whatsapp_id?: string | null | undefined;
  opt_outs?: ChannelId[] | undefined;
  last_inbound_whatsapp_at?: string | null | undefined;
}

/** What a customer's app receives over its stream for each message (SSE event `message`). */
export interface AppMessageEvent {
  messageId: string;
  title: string | null;
  body: string;
  metadata: Record<string, unknown>;
  sentOn: string;
}
