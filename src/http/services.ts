import type { Clock } from '../kernel/clock.js';
import type { Storage } from '../ports/storage.js';
import type { AccountsService, RateLimiter } from '../domains/accounts/index.js';
import type { DirectoryServices } from '../domains/directory/index.js';
import type { ContinuityService, CallLog } from '../domains/continuity/index.js';
import type { SimulatedNetwork } from '../adapters/telephony/simulated/index.js';
import type { CallbacksService } from '../domains/callbacks/index.js';
import type { FlowsService, InteractionsService } from '../domains/flows/index.js';
import type { FlowSimulator } from '../simulation/index.js';
import type { CaseSearchService } from '../domains/cases/index.js';
import type { CaseServices } from '../domains/cases/index.js';
import type { MessagingServices } from '../domains/messaging/index.js';
import type { AppStreams } from '../adapters/channels/app-messaging/index.js';
import type { WebhooksService } from '../domains/webhooks/index.js';
import type { Metrics } from './metrics.js';

export interface ReadinessReport {
  status: 'ready' | 'degraded';
  checks: Record<string, { status: 'up' | 'down' | 'degraded'; detail?: string }>;
}

/** Everything route modules may call; built once by app.ts. */
export interface AppServices {
  clock: Clock;
  storage: Storage;
  metrics: Metrics;
  accounts: AccountsService;
  /** Per-account request limits shared by every node (429 `rate_limited` with Retry-After). */
  rateLimiter: RateLimiter;
  directory: DirectoryServices;
  continuity: ContinuityService;
  calls: CallLog;
  callbacks: CallbacksService;
  flows: FlowsService;
  interactions: InteractionsService;
  simulator: FlowSimulator;
  caseSearch: CaseSearchService;
  /** Cases (create, change, trash, notes, audit), their statuses and the account's case settings. */
  cases: CaseServices;
  /** Omnichannel messaging: sends, profiles, channel configuration, receipts. */
  messaging: MessagingServices;
  /** The customer app streams (appMessaging) open on this node. */
  appStreams: AppStreams;
  /** Outbound webhook endpoints and their deliveries. */
  webhooks: WebhooksService;
  /** Present only under the simulated telephony adapter; the /sim routes answer 404 otherwise. */
  network: SimulatedNetwork | undefined;
  readiness(): Promise<ReadinessReport>;
}
