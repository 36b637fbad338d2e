import type { Clock } from '../../kernel/clock.js';
import type { ChannelAdapter, ChannelId, OutboundMessage, ProviderConfig, SendResult } from '../../ports/message-channels.js';
import type { UsableProvider } from './channel-config.service.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { Attempt } from './messaging.model.js';
import type { MessagingStats } from './messaging-stats.js';

/** appMessaging is the platform's own channel: one built-in "provider", never circuit-broken. */
export const APP_PROVIDER: ProviderConfig = { name: 'app', baseUrl: '', credentials: {}, settings: {} };

export type ChannelOutcome =
  | { kind: 'accepted'; provider: string | null; providerMessageId: string; details: string; attempts: Attempt[] }
  | { kind: 'rejected' | 'failed'; provider: string | null; details: string; attempts: Attempt[] };

export interface ProviderAttemptsDependencies {
  clock: Clock;
  breaker: CircuitBreaker;
  stats: MessagingStats;
  /** The longest one provider attempt may take before it counts as failed. */
  attemptTimeoutMs: number;
}

/**
 * Offers a message to one channel through its providers in order: a provider whose circuit is
 * open is skipped, one that fails (outage) hands over to the next, one that accepts or rejects
 * ends the channel's turn (a rejection is about the message, not the provider).
 */
export async function sendThroughProviders(
  deps: ProviderAttemptsDependencies,
  adapter: ChannelAdapter,
  providers: readonly UsableProvider[],
  message: OutboundMessage,
  channel: ChannelId,
  signal: AbortSignal,
  /** When the message expires (epoch ms): no provider is offered it from then on, and an attempt still waiting then is given up. */
  expiresAt: number | null = null,
): Promise<ChannelOutcome> {
  const attempts: Attempt[] = [];
  const record = (provider: string | null, outcome: Attempt['outcome'], details: string) => {
    attempts.push({ channel, provider, outcome, details, at: deps.clock.now().toISOString() });
    deps.stats.countAttempt(channel, outcome);
  };
  const internal = channel === 'appMessaging';
  const problems: string[] = [];
  for (const [position, usable] of providers.entries()) {
    const name = internal ? null : usable.name;
    const left = expiresAt === null ? Infinity : expiresAt - deps.clock.now().getTime();
    if (left <= 0) {
      problems.push('the message expired before another provider was tried');
      break;
    }
    if (position > 0) deps.stats.countSwitch(channel);
    if (!usable.config) {
      record(name, 'failed', usable.problem);
      problems.push(usable.problem);
      continue;
    }
    const key = CircuitBreaker.key(message.accountId, channel, usable.name);
    const openUntil = internal ? undefined : deps.breaker.openUntil(key);
    if (openUntil) {
      const details = `provider "${usable.name}" skipped: failing, cooling down until ${openUntil.toISOString()}`;
      record(name, 'skipped', details);
      problems.push(details);
      continue;
    }
    const result = await attempt(adapter, message, usable.config, signal, Math.min(deps.attemptTimeoutMs, left));
    const via = name === null ? '' : ` by provider "${name}"`;
    const after = problems.length > 0 ? ` after ${problems.length} other provider${problems.length > 1 ? 's' : ''} failed or were skipped` : '';
    switch (result.kind) {
      case 'accepted': {
        if (!internal) deps.breaker.succeeded(key);
        const details = `${result.details ?? `accepted${via}`}${after} (id ${result.providerMessageId})`;
        record(name, 'accepted', details);
        return { kind: 'accepted', provider: name, providerMessageId: result.providerMessageId, details, attempts };
      }
      case 'rejected': {
        if (!internal) deps.breaker.succeeded(key);
        const details = `rejected${via}: ${result.reason}`;
        record(name, 'rejected', details);
        return { kind: 'rejected', provider: name, details, attempts };
      }
      case 'failed': {
        if (left < deps.attemptTimeoutMs && deps.clock.now().getTime() >= (expiresAt ?? Infinity)) {
          // Cut short by the message's expiry, not the provider's fault: the circuit stays as it is.
          const details = `given up${via}: the message expired while the provider had not answered`;
          record(name, 'failed', details);
          problems.push(details);
          break;
        }
        const opened = !internal && deps.breaker.failed(key);
        const details = `failed${via}: ${result.reason}${opened ? ' (provider now skipped while it cools down)' : ''}`;
        record(name, 'failed', details);
        problems.push(details);
        break;
      }
    }
  }
  const details = problems.length > 0 ? problems.join('; ') : 'no provider configured';
  return { kind: 'failed', provider: attempts.at(-1)?.provider ?? null, details, attempts };
}

/** One adapter call under a time limit; an adapter that throws (it should not) counts as failed. */
async function attempt(adapter: ChannelAdapter, message: OutboundMessage, provider: ProviderConfig, signal: AbortSignal, timeoutMs: number): Promise<SendResult> {
  try {
    return await adapter.send(message, provider, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
  } catch (error) {
    return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
}
