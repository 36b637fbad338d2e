import type { Clock } from '../../kernel/clock.js';
import type { EventPublisher } from '../../ports/events.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { Storage } from '../../ports/storage.js';
import { ChannelConfigService } from './channel-config.service.js';
import { CircuitBreaker, DEFAULT_CIRCUIT_BREAKER, type CircuitBreakerOptions } from './circuit-breaker.js';
import { CredentialsCipher } from './credentials-cipher.js';
import { MessageDelivery } from './delivery.js';
import type { ChannelAdapters, ChannelWebhooks } from './messaging.model.js';
import { MessagingService } from './messaging.service.js';
import { MessagingStats } from './messaging-stats.js';
import { DEFAULT_PENDING_RECEIPTS, PendingReceipts, type PendingReceiptsOptions } from './pending-receipts.js';
import { ProfilesService } from './profiles.service.js';
import { Receipts } from './receipts.js';
import { WebhookIntake } from './webhook-intake.js';

/** The longest one provider attempt may take before it counts as failed (and the next provider is tried). */
const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;

export interface MessagingDependencies {
  storage: Storage;
  clock: Clock;
  jobs: JobQueue<Job>;
  events: EventPublisher;
  adapters: ChannelAdapters;
  webhooks: ChannelWebhooks;
  /** The account's default country, for phone numbers written without `+`. */
  countryOf: (accountId: string) => Promise<string>;
  /** The secret provider credentials are encrypted under. */
  credentialsKey: string;
  circuitBreaker?: CircuitBreakerOptions | undefined;
  attemptTimeoutMs?: number | undefined;
  /** Bounds of the receipts held for sends not recorded yet (tests shrink them). */
  pendingReceipts?: Partial<PendingReceiptsOptions> | undefined;
  /** Ends the app streams of a profile whose app token changed or went (on every node). */
  endAppStreams?: (accountId: string, profileId: string) => Promise<void>;
}

/** Everything omnichannel messaging offers the HTTP edge and the job worker. */
export interface MessagingServices {
  messages: MessagingService;
  profiles: ProfilesService;
  channels: ChannelConfigService;
  receipts: Receipts;
  /** Provider webhooks: receipts, inbound customer messages, subscription handshakes. */
  intake: WebhookIntake;
  delivery: MessageDelivery;
  webhooks: ChannelWebhooks;
  breaker: CircuitBreaker;
  stats: MessagingStats;
}

export function createMessaging(deps: MessagingDependencies): MessagingServices {
  const { storage, clock, jobs, events } = deps;
  // An account's default country never changes once created, so it is read once per account.
  const countries = new Map<string, Promise<string>>();
  const countryOf = (accountId: string): Promise<string> => {
    let country = countries.get(accountId);
    if (!country) {
      country = deps.countryOf(accountId);
      countries.set(accountId, country);
      country.catch(() => countries.delete(accountId));
    }
    return country;
  };
  const profiles = new ProfilesService(storage, clock, countryOf, deps.endAppStreams);
  const channels = new ChannelConfigService(storage, clock, new CredentialsCipher(deps.credentialsKey));
  const breaker = new CircuitBreaker(clock, deps.circuitBreaker ?? DEFAULT_CIRCUIT_BREAKER);
  const stats = new MessagingStats();
  const pending = new PendingReceipts({ storage, clock, webhooks: deps.webhooks, options: { ...DEFAULT_PENDING_RECEIPTS, ...deps.pendingReceipts } });
  const delivery = new MessageDelivery({
    storage, clock, jobs, events, adapters: deps.adapters, channels, profiles, breaker, stats, pending,
    attemptTimeoutMs: deps.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
  });
  const receipts = new Receipts({ storage, clock, jobs, events });
  return {
    messages: new MessagingService(storage, clock, jobs, countryOf),
    profiles,
    channels,
    receipts,
    intake: new WebhookIntake({ storage, channels, receipts, pending, profiles, webhooks: deps.webhooks }),
    delivery,
    webhooks: deps.webhooks,
    breaker,
    stats,
  };
}
