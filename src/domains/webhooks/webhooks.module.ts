import type { Clock } from '../../kernel/clock.js';
import type { HttpClient } from '../../ports/http-client.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { Storage } from '../../ports/storage.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry-policy.js';
import { WebhookPublisher } from './webhook-publisher.js';
import { WebhookSender } from './webhook-sender.js';
import { SubscribedEndpoints } from './subscribed-endpoints.js';
import type { SecretSealer } from './webhook-views.js';
import { WebhooksService } from './webhooks.service.js';

export interface WebhooksModuleDependencies {
  storage: Storage;
  clock: Clock;
  jobs: JobQueue<Job>;
  http: HttpClient;
  sealer: SecretSealer;
  /** How long a receiver has to answer; 10 s unless a test shortens it. */
  timeoutMs?: number | undefined;
  retry?: RetryPolicy | undefined;
  random?: (() => number) | undefined;
}

/** The webhooks domain, wired: endpoint management, the platform's event publisher, and the sender its jobs run. */
export interface WebhooksModule {
  endpoints: WebhooksService;
  /** Enabled endpoints per account, kept in memory: `start` it to follow other nodes' changes. */
  subscriptions: SubscribedEndpoints;
  publisher: WebhookPublisher;
  sender: WebhookSender;
}

export const DELIVERY_TIMEOUT_MS = 10_000;

export function createWebhooks(deps: WebhooksModuleDependencies): WebhooksModule {
  const { storage, clock, jobs, http, sealer } = deps;
  const subscriptions = new SubscribedEndpoints(storage);
  return {
    endpoints: new WebhooksService({ storage, clock, jobs, sealer, subscriptions }),
    subscriptions,
    publisher: new WebhookPublisher(clock, jobs, subscriptions),
    sender: new WebhookSender({
      storage, clock, jobs, http, sealer, subscriptions,
      timeoutMs: deps.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      retry: deps.retry ?? DEFAULT_RETRY,
      random: deps.random ?? Math.random,
    }),
  };
}
