import { performance } from 'node:perf_hooks';
import type { Clock } from '../../kernel/clock.js';
import { parseJson } from '../../kernel/json.js';
import type { EventType } from '../../ports/events.js';
import { HttpClientError, type HttpClient } from '../../ports/http-client.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { Storage } from '../../ports/storage.js';
import { cancelPendingDeliveries } from './pending-deliveries.js';
import { retryDelayMs, RETRY_WINDOW_MS, type RetryPolicy } from './retry-policy.js';
import { signedHeaders } from './webhook-signature.js';
import { openSecret, signingSecrets, type SealedSecret, type SecretSealer } from './webhook-views.js';
import type { DeliveryAttempt, WebhookPayload } from './webhooks.model.js';
import type { SubscribedEndpoints } from './subscribed-endpoints.js';
import { webhooksRepo, type DeliveryRow, type EventRow } from './webhooks.repo.js';

export interface SenderDependencies {
  storage: Storage;
  clock: Clock;
  jobs: JobQueue<Job>;
  http: HttpClient;
  sealer: SecretSealer;
  /** How long a receiver has to answer one attempt (10 s by the contract). */
  timeoutMs: number;
  retry: RetryPolicy;
  random: () => number;
  subscriptions: SubscribedEndpoints;
}

/** How much of a receiver's response an attempt keeps, for diagnosis. */
const RESPONSE_EXCERPT = 256;

/** The request body of an event: the same bytes on every attempt, so a signature can be checked against it. */
export function payloadOf(event: EventRow): string {
  const payload: WebhookPayload = { id: event.id, type: event.type as EventType, created_at: event.created_at, data: parseJson<Record<string, unknown>>(event.data) };
  return JSON.stringify(payload);
}

/**
 * Makes one attempt of a webhook delivery and records it. A 2xx acknowledges; anything else, no
 * response or no complete response within the timeout is tried again with exponential backoff
 * (with jitter) until 24 h after the event, then the delivery fails. A 410 Gone disables the
 * endpoint: the receiver says it is gone for good, so its pending deliveries fail at once.
 */
export class WebhookSender {
  constructor(private readonly deps: SenderDependencies) {}

  /** Attempts the delivery if it is still pending; resolves to when to try again, or undefined when it is final. */
  async deliver(accountId: string, deliveryId: string): Promise<Date | undefined> {
    const repo = webhooksRepo(this.deps.storage.db);
    const delivery = await repo.findDelivery(accountId, deliveryId);
    if (!delivery || delivery.status !== 'pending') return undefined;
    const [endpoint, event] = await Promise.all([repo.findEndpoint(accountId, delivery.endpoint_id), repo.findEvent(accountId, delivery.event_id)]);
    if (!endpoint) return this.fail(delivery, 'the endpoint was deleted');
    if (!event) return this.fail(delivery, 'the event is no longer kept');
    if (endpoint.enabled !== 1) return this.fail(delivery, 'the endpoint is disabled');

    const sealed = openSecret(this.deps.sealer, endpoint);
    // Retrying cannot help: the key changed since the secret was sealed.
    if (sealed === undefined) return this.fail(delivery, 'the signing secret cannot be decrypted (was SWITCHBOARD_CREDENTIALS_KEY changed?)');
    const { attempt, retryAfterMs } = await this.attempt(endpoint.url, sealed, event);
    const attempts = [...parseJson<DeliveryAttempt[]>(delivery.attempts), attempt];
    const now = this.deps.clock.now();
    const at = now.toISOString();

    if (attempt.status !== null && attempt.status >= 200 && attempt.status < 300) {
      await repo.updatePendingDelivery(accountId, deliveryId, { status: 'succeeded', attempts: JSON.stringify(attempts), next_attempt_at: null, updated_at: at });
      return undefined;
    }
    if (attempt.status === 410) {
      await this.deps.subscriptions.change(accountId, async (trx) => {
        const reason = 'the receiver answered 410 Gone';
        await webhooksRepo(trx).updatePendingDelivery(accountId, deliveryId, { status: 'failed', attempts: JSON.stringify(attempts), next_attempt_at: null, failure_reason: reason, updated_at: at });
        await webhooksRepo(trx).updateEndpoint(accountId, endpoint.id, { enabled: 0, disabled_reason: `${reason} at ${at}`, updated_at: at });
        await cancelPendingDeliveries(this.deps.jobs, trx, accountId, endpoint.id, 'the endpoint was disabled: the receiver answered 410 Gone', at);
      });
      return undefined;
    }
    // A receiver that says when to come back (429 or 503 with Retry-After) is not asked sooner.
    const next = new Date(now.getTime() + Math.max(retryDelayMs(attempts.length, this.deps.retry, this.deps.random), retryAfterMs ?? 0));
    if (next.getTime() > Date.parse(event.created_at) + RETRY_WINDOW_MS) {
      return this.fail(delivery, `no 2xx answer within 24 h of the event (${attempts.length} attempts)`, attempts);
    }
    const recorded = await repo.updatePendingDelivery(accountId, deliveryId, { attempts: JSON.stringify(attempts), next_attempt_at: next.toISOString(), updated_at: at });
    return recorded ? next : undefined;
  }

  private async attempt(url: string, sealed: SealedSecret, event: EventRow): Promise<{ attempt: DeliveryAttempt; retryAfterMs?: number | undefined }> {
    const body = payloadOf(event);
    const sentAt = this.deps.clock.now();
    const headers = { 'content-type': 'application/json', 'user-agent': 'Switchboard-Webhooks/1', ...signedHeaders(signingSecrets(sealed, sentAt), event.id, sentAt, body) };
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      // Only a 2xx from the registered URL acknowledges: a redirect is an answer like any other.
      const response = await this.deps.http.request({ method: 'POST', url, headers, body, timeoutMs: this.deps.timeoutMs, followRedirects: false });
      const ok = response.status >= 200 && response.status < 300;
      const redirected = response.status >= 300 && response.status < 400 ? ' (redirects are not followed: register the URL it points to)' : '';
      return {
        attempt: { at: sentAt.toISOString(), status: response.status, error: ok ? null : `HTTP ${response.status}${redirected}`, duration_ms: elapsed(), response_body: response.body.slice(0, RESPONSE_EXCERPT) || null },
        retryAfterMs: response.status === 429 || response.status === 503 ? retryAfterMs(response.headers['retry-after'], sentAt) : undefined,
      };
    } catch (error) {
      if (!(error instanceof HttpClientError)) throw error;
      return { attempt: { at: sentAt.toISOString(), status: null, error: `${error.reason}: ${error.message}`, duration_ms: elapsed(), response_body: null } };
    }
  }

  /** The delivery's job used up its attempts without an answer to record (the database kept failing): the delivery fails rather than stay pending. */
  async giveUp(accountId: string, deliveryId: string, reason: string): Promise<void> {
    const delivery = await webhooksRepo(this.deps.storage.db).findDelivery(accountId, deliveryId);
    if (delivery?.status === 'pending') await this.fail(delivery, `the delivery could not go on: ${reason}`);
  }

  private async fail(delivery: DeliveryRow, reason: string, attempts?: DeliveryAttempt[]): Promise<undefined> {
    const at = this.deps.clock.now().toISOString();
    await webhooksRepo(this.deps.storage.db).updatePendingDelivery(delivery.account_id, delivery.id, {
      status: 'failed', ...(attempts ? { attempts: JSON.stringify(attempts) } : {}), next_attempt_at: null, failure_reason: reason, updated_at: at,
    });
    return undefined;
  }
}

/** A Retry-After header (seconds, or an HTTP date) as milliseconds from `now`; undefined when absent or unreadable. */
function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const ms = /^\s*\d+\s*$/.test(header) ? Number(header) * 1000 : Date.parse(header) - now.getTime();
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
