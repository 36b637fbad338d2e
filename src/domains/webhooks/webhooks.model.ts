import { EVENT_TYPES, type EventType } from '../../ports/events.js';

type FamilyOf<T> = T extends `${infer F}.${string}` ? F : never;
/** The part of an event type before its dot: `message`, `case`, `interaction`, `callback`, `continuity`. */
export type EventFamily = FamilyOf<EventType>;

export const familyOf = (type: EventType): EventFamily => type.slice(0, type.indexOf('.')) as EventFamily;

export const EVENT_FAMILIES: readonly EventFamily[] = [...new Set(EVENT_TYPES.map(familyOf))];

/** What an endpoint subscribes to: an exact event type or a whole family (`message.*`). */
export type EventPattern = EventType | `${EventFamily}.*`;

export const EVENT_PATTERNS: readonly EventPattern[] = [...EVENT_TYPES, ...EVENT_FAMILIES.map((family) => `${family}.*` as const)];

const knownPatterns = new Set<string>(EVENT_PATTERNS);
export const isEventPattern = (value: string): value is EventPattern => knownPatterns.has(value);

export function matches(patterns: readonly string[], type: EventType): boolean {
  const wildcard = `${familyOf(type)}.*`;
  return patterns.some((pattern) => pattern === type || pattern === wildcard);
}

/** The families a set of patterns reaches into. */
export function familiesOf(patterns: readonly string[]): EventFamily[] {
  return EVENT_FAMILIES.filter((family) => patterns.some((pattern) => pattern.startsWith(`${family}.`)));
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  events: EventPattern[];
  enabled: boolean;
  /** Why the platform disabled it (the receiver answered 410 Gone); null when enabled or disabled through the API. */
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** The endpoint as created: the only time its signing secret is shown. */
export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  secret: string;
}

export interface WebhookEndpointInput {
  url: string;
  description?: string | null | undefined;
  events: EventPattern[];
  secret?: string | undefined;
  enabled?: boolean | undefined;
}

export interface WebhookEndpointPatch {
  url?: string | undefined;
  description?: string | null | undefined;
  events?: EventPattern[] | undefined;
  enabled?: boolean | undefined;
  secret?: string | undefined;
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One try to deliver: the HTTP status the receiver answered, or why there was no answer. */
export interface DeliveryAttempt {
  at: string;
  /** Null when no response came (timeout, network error). */
  status: number | null;
  /** Null for a 2xx; otherwise what went wrong (`HTTP 500`, `timeout: ...`). */
  error: string | null;
  duration_ms: number;
  /** The start of the receiver's response body, for diagnosis. */
  response_body: string | null;
}

export interface WebhookDelivery {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: EventType;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  /** When the next attempt is due; null once the delivery succeeded or failed. */
  next_attempt_at: string | null;
  /** Why a failed delivery stopped; null otherwise. */
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** What a receiver gets as the request body. */
export interface WebhookPayload {
  id: string;
  type: EventType;
  created_at: string;
  data: Record<string, unknown>;
}
