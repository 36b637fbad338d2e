/**
 * The channel port of omnichannel messaging: one adapter per provider wire format
 * (src/adapters/channels/<channel>/), the messaging domain deciding which channel and provider to
 * try. Adapters make exactly one attempt and classify its result; retries, fallback to the next
 * channel, circuit breaking and timers belong to the domain.
 */

/** Channel ids, as the public API spells them (API.md, Messaging). */
export const CHANNEL_IDS = ['appMessaging', 'fbMessenger', 'whatsApp', 'sms', 'email'] as const;
export type ChannelId = (typeof CHANNEL_IDS)[number];

/** One provider of a channel as the account configured it (`/channels`), its secrets decrypted. */
export interface ProviderConfig {
  /** The account's name for it, unique within the channel (shown in a message's details). */
  name: string;
  /** Where the provider's API lives (the vendor's, or a compatible one); not used by appMessaging. */
  baseUrl: string;
  /** Credentials by name (e.g. `accessToken`, `accountSid`/`authToken`, `username`/`password`, `appSecret`). */
  credentials: Record<string, string>;
  /** Non-secret settings by name (e.g. `phoneNumberId`, `pageId`, `from`, `host`, `port`, `secure`). */
  settings: Record<string, string | number | boolean>;
}

/** What one attempt sends: already resolved for this channel (address, body, options). */
export interface OutboundMessage {
  accountId: string;
  messageId: string;
  /** The address on this channel: E.164 number, email address, Messenger PSID, WhatsApp id, or profile id (appMessaging). */
  to: string;
  title: string | null;
  /** `customBody[channel]` when given, else `body`. */
  body: string;
  /** `channelOptions[channel]` as the caller gave it (e.g. `{"from": "Acme"}` for sms, `{"template": {...}}` for whatsApp). */
  options: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/**
 * How an attempt ended. `accepted`: the provider took the message (the channel's status becomes
 * `sent`; receipts may follow through `InboundReceipt`s). `rejected`: the provider refused this
 * message for good (bad address, policy, 4xx): the send moves on to the next channel, the
 * provider stays healthy. `failed`: the provider could not be reached or failed (5xx, 429,
 * timeout, connection refused): counts against the provider's health (circuit breaker) and the
 * domain moves on to the channel's next provider, then to the next channel.
 */
export type SendResult =
  | { kind: 'accepted'; providerMessageId: string; details?: string }
  | { kind: 'rejected'; reason: string; code?: string }
  | { kind: 'failed'; reason: string; code?: string };

/** A status the provider reported about a message it accepted (inbound webhook or app receipt). */
export interface InboundReceipt {
  channel: ChannelId;
  providerMessageId: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  /** When the provider says it happened (ISO-8601). */
  at: string;
  details?: string;
}

/**
 * A receipt that names no message but a person and a time: everything sent to `address` on the
 * channel until `upTo` reached `status` (Messenger's read receipts, and its delivery receipts
 * without message ids).
 */
export interface InboundWatermark {
  channel: ChannelId;
  status: 'delivered' | 'read';
  /** The customer's address on the channel (a Messenger PSID). */
  address: string;
  /** Sends up to this time (ISO-8601) are covered; it is also when the receipt happened. */
  upTo: string;
}

/** One provider wire format. Never throws for a provider's answer: every outcome is a SendResult. */
export interface ChannelAdapter {
  channel: ChannelId;
  send(message: OutboundMessage, provider: ProviderConfig, signal: AbortSignal): Promise<SendResult>;
}

/** A provider's webhook request as it reached this platform: what its signature is checked over. */
export interface WebhookRequest {
  rawBody: string;
  headers: Record<string, string | undefined>;
  /** The URL the request reached (scheme and host as the request names them). */
  url: string;
}

/**
 * A message a customer wrote to the business on a channel (e.g. a WhatsApp message): it opens
 * that channel's customer-service window for the customer.
 */
export interface InboundMessage {
  channel: ChannelId;
  /** The customer's address on the channel (a WhatsApp id, digits without `+`). */
  from: string;
  /** When the customer sent it (ISO-8601). */
  at: string;
  /**
   * The business address it was written to, as a provider's `settings` name it (WhatsApp:
   * `phoneNumberId`), when the body says: only an account with a provider of that address owns it.
   */
  to?: { setting: string; value: string };
}

/**
 * A provider's webhook (`POST /webhooks/<channel>[/<account_id>]`): verifies the request as the
 * provider signs it (when it does) and reads the receipts, and any inbound customer messages, out
 * of its body. `verify` false → 401.
 */
export interface ChannelWebhook {
  channel: ChannelId;
  /** Checks the provider's signature over the raw body with the provider's secret (e.g. Meta's X-Hub-Signature-256, Twilio's X-Twilio-Signature). */
  verify(request: WebhookRequest, provider: ProviderConfig): boolean;
  /** The receipts in the body (possibly none: a provider's other events are ignored). */
  receipts(body: unknown): InboundReceipt[];
  /** The watermarks in the body, for channels whose receipts may name a person instead of a message. */
  watermarks?(body: unknown): InboundWatermark[];
  /** The customers' messages in the body, for channels whose window they open. */
  inbound?(body: unknown): InboundMessage[];
  /**
   * A subscription handshake (`GET <callback URL>?…`, e.g. Meta's `hub.challenge`): the text to
   * answer when the query proves it comes from whoever holds the provider's configuration, else
   * undefined (→ 403).
   */
  subscriptionChallenge?(query: Record<string, unknown>, provider: ProviderConfig): string | undefined;
}
