import { parseJson } from '../../kernel/json.js';
import type { EventType } from '../../ports/events.js';
import type { DeliveryAttempt, DeliveryStatus, EventPattern, WebhookDelivery, WebhookEndpoint } from './webhooks.model.js';
import type { DeliveryRow, EndpointRow } from './webhooks.repo.js';

/** Seals signing secrets at rest and opens them to sign (AES-256-GCM; see CredentialsCipher). */
export interface SecretSealer {
  seal(plain: Record<string, string>, context: string): string;
  /** Throws when the key or the context differs from the sealing one. */
  open(sealed: string, context: string): Record<string, string>;
}

/** How long a replaced signing secret still signs deliveries beside the new one, so receivers can switch over. */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

/**
 * What an endpoint's sealed secret holds: the secret, and after a rotation the one it replaced
 * with the time until which that one signs too.
 */
export interface SealedSecret {
  secret: string;
  previous?: string;
  previous_until?: string;
}

/** The endpoint's sealed secret, opened; undefined when it no longer opens (the key changed). */
export function openSecret(sealer: SecretSealer, endpoint: { account_id: string; id: string; secret: string }): SealedSecret | undefined {
  try {
    const sealed = sealer.open(endpoint.secret, secretContext(endpoint.account_id, endpoint.id)) as Partial<SealedSecret>;
    return sealed.secret === undefined ? undefined : (sealed as SealedSecret);
  } catch {
    return undefined;
  }
}

/** The secrets a delivery at `at` is signed with: the current one first. */
export const signingSecrets = (sealed: SealedSecret, at: Date): string[] =>
  sealed.previous !== undefined && sealed.previous_until !== undefined && at.toISOString() < sealed.previous_until ? [sealed.secret, sealed.previous] : [sealed.secret];

/** Binds a sealed secret to its endpoint: copied into another row it no longer opens. */
export const secretContext = (accountId: string, endpointId: string): string => `webhook-endpoint:${accountId}:${endpointId}`;

/** The dedupe key of a delivery's job, by which removing its endpoint cancels it. */
export const deliverJobKey = (deliveryId: string): string => `webhook.deliver:${deliveryId}`;

export function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: parseJson<EventPattern[]>(row.events),
    enabled: row.enabled === 1,
    disabled_reason: row.disabled_reason,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    endpoint_id: row.endpoint_id,
    event_id: row.event_id,
    event_type: row.event_type as EventType,
    status: row.status as DeliveryStatus,
    attempts: parseJson<DeliveryAttempt[]>(row.attempts),
    next_attempt_at: row.next_attempt_at,
    failure_reason: row.failure_reason,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
