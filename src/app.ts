// Validation messages in the API's own words, set before any schema parses.
import './kernel/zod-messages.js';
import { join } from 'node:path';
import type { Config } from './config/config.js';
import { systemClock, type Clock } from './kernel/clock.js';
import { createLogger, type Logger } from './kernel/logger.js';
import type { Executor, Storage } from './ports/storage.js';
import { JOB_PAYLOADS } from './ports/jobs.js';
import type { CallControl } from './ports/telephony.js';
import type { TextToSpeech } from './ports/tts.js';
import { createStorage, migrateStorage } from './adapters/storage/storage.js';
import { EspeakTts } from './adapters/tts/espeak/espeak-tts.js';
import { SimulatedNetwork } from './adapters/telephony/simulated/index.js';
import { AccountsService, RateLimiter } from './domains/accounts/index.js';
import { AgentsService, GroupsService, NumbersService, SkillsService } from './domains/directory/index.js';
import { CallLog, ContinuityService } from './domains/continuity/index.js';
import { CallbackDispatcher, CallbacksService } from './domains/callbacks/index.js';
import { COMPONENT_HANDLERS, FlowEngine, FlowsService, InteractionsService, stepWrites, type FlowServices } from './domains/flows/index.js';
import { closeSandbox } from './domains/flows/runtime/sandbox.js';
import { FetchHttpClient } from './adapters/http/fetch-client.js';
import { EgressPolicy } from './adapters/http/egress.js';
import { DirectorySecrets } from './adapters/secrets/directory-secrets.js';
import { FlowSimulator } from './simulation/index.js';
import { CaseSearchService, CaseStatusesService } from './domains/cases/index.js';
import { CaseAutomation, CaseSettingsService, CasesService } from './domains/cases/index.js';
import { abandonedJobs, backlogMetrics, createJobHandlers, createJobQueue, createWorker, scheduleRecurringJobs, workerMetrics, type Worker } from './jobs/index.js';
import { buildServer } from './http/server.js';
import { Metrics } from './http/metrics.js';
import type { AppServices, ReadinessReport } from './http/services.js';
import type { App } from './http/types.js';
import type { EventPublisher } from './ports/events.js';
import { AppMessagingAdapter, AppStreams } from './adapters/channels/app-messaging/index.js';
import { createWhatsAppAdapter, whatsAppWebhook } from './adapters/channels/whatsapp/index.js';
import { createFbMessengerAdapter, fbMessengerWebhook } from './adapters/channels/fb-messenger/index.js';
import { createSmsAdapter, smsWebhook } from './adapters/channels/sms/index.js';
import { createEmailAdapter, emailWebhook } from './adapters/channels/email/index.js';
import { createMessaging, type ChannelAdapters, type ChannelWebhooks, type CircuitBreakerOptions, type PendingReceiptsOptions } from './domains/messaging/index.js';
import { exposeMessagingMetrics } from './http/messaging-metrics.js';
import { CredentialsCipher } from './domains/messaging/index.js';
import { createWebhooks, type WebhooksModuleDependencies } from './domains/webhooks/index.js';

export interface AppOverrides {
  clock?: Clock;
  logger?: Logger;
  storage?: Storage;
  tts?: TextToSpeech;
  /** Wraps the telephony adapter the platform places its calls through (a benchmark times the dials this way). */
  telephony?: (adapter: CallControl) => CallControl;
  /** Channel adapters replacing the built-in ones (tests point them at a local stand-in provider). */
  channelAdapters?: Partial<ChannelAdapters>;
  /** Provider webhooks (`POST /webhooks/<channel>[/<account_id>]`), by channel. */
  channelWebhooks?: ChannelWebhooks;
  circuitBreaker?: CircuitBreakerOptions;
  /** Bounds of provider receipts held for sends not recorded yet (tests shrink them). */
  pendingReceipts?: Partial<PendingReceiptsOptions>;
  /** Outbound webhook delivery: its HTTP client, timeout and retry policy (tests shorten them). */
  webhooks?: Partial<Pick<WebhooksModuleDependencies, 'http' | 'timeoutMs' | 'retry' | 'random'>>;
}

export interface Switchboard {
  server: App;
  services: AppServices;
  /** Runs the durable jobs; started here unless SWITCHBOARD_WORKER is false (tests then drive it with `drain()`). */
  worker: Worker;
  /** Stops background work, flushes the call log and closes the database. */
  close(): Promise<void>;
}

const CREDENTIALS_KEY_MISMATCH = 'the channel credentials stored in the database cannot be opened with this node\'s SWITCHBOARD_CREDENTIALS_KEY (or, without it, SWITCHBOARD_SIGNING_SECRET): every node needs the key they were stored with, or the channels must be configured again';

/** The composition root: the only place that picks adapters and wires domains together. */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<Switchboard> {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL);
  const storage = overrides.storage ?? createStorage(config.DATABASE_URL);
  const migrated = await migrateStorage(storage);
  if (migrated.length > 0) logger.info({ migrations: migrated }, `applied ${migrated.length} database migration${migrated.length === 1 ? '' : 's'}`);

  const metrics = new Metrics();
  const accounts = new AccountsService(storage, clock, { signingSecret: config.signingSecret, tokenTtlSeconds: config.SWITCHBOARD_TOKEN_TTL_S });
  await accounts.start();
  const rateLimiter = new RateLimiter(storage, clock);
  // A deleted number's continuity forward entry is removed with it; an inbound flow must exist.
  const numbers: NumbersService = new NumbersService(storage, clock, {
    onAdding: (executor, accountId, number): Promise<void> => continuity.refuseForwardTarget(executor, accountId, number),
    onDeleted: (executor, deletion): Promise<void> => continuity.forgetNumber(executor, deletion),
    flowState: (accountId, flowId) => flows.get(accountId, flowId).then((flow) => (flow.published_version ? 'published' : 'unpublished'), () => 'missing' as const),
  });
  // Services that cause background work take `jobs` and enqueue inside their own transactions.
  const jobs = createJobQueue({ storage, clock });
  const wakeCallbackQueue = async (executor: Executor, accountId: string, skillId: string): Promise<void> => {
    await jobs.enqueue(executor, { type: 'callback.dispatch', payload: { skill_id: skillId }, accountId, here: true });
  };
  // A deleted skill's queue is woken so its waiting callbacks are cancelled; a renamed skill's
  // callbacks show (and are found by) its new name.
  const skills = new SkillsService(storage, clock, {
    deleted: wakeCallbackQueue,
    renamed: (executor, accountId, skillId, name): Promise<void> => callbacks.skillRenamed(executor, accountId, skillId, name),
  });
  // An agent becoming available wakes the callback queue of each of their skills, on this node as
  // soon as the change commits. Agents and groups holding cases not yet closed, and agents held
  // for a callback, are not deleted from under them.
  const agents = new AgentsService(storage, clock, async (executor, accountId, _agentId, skillIds) => {
    for (const skillId of skillIds) await wakeCallbackQueue(executor, accountId, skillId);
  }, (work) => jobs.transaction(work), {
    openCases: (accountId, agentId) => cases.openCasesOf(accountId, { assigneeId: agentId }),
    callbackInProgress: (accountId, agentId) => callbacks.agentOnCallback(accountId, agentId),
  });
  const groups = new GroupsService(storage, clock, (accountId, holder) => cases.openCasesOf(accountId, holder));
  // Outbound webhooks: domains publish their events through it inside their own transactions.
  // Signing secrets are sealed at rest with the same key as channel credentials.
  const sealer = new CredentialsCipher(config.SWITCHBOARD_CREDENTIALS_KEY ?? config.signingSecret);
  // Requests tenants direct (webhooks, flow HTTP calls, channel providers) reach internal addresses only as the operator allows.
  const egress = new EgressPolicy(config.SWITCHBOARD_EGRESS_ALLOW);
  const http = new FetchHttpClient({ egress });
  const webhooks = createWebhooks({ storage, clock, jobs, http, sealer, ...overrides.webhooks });
  const calls = new CallLog(storage.db, logger, { bufferLimit: config.SWITCHBOARD_CALL_LOG_BUFFER });
  const tts = overrides.tts ?? new EspeakTts('espeak-ng', (message) => logger.warn(message));
  const continuity = new ContinuityService(storage, clock, numbers, calls, tts, logger, webhooks.publisher);
  await continuity.start();
  // The simulated network is the only telephony adapter so far: it places the platform's calls, and
  // its scripting routes exist only while it is the configured one.
  const telephony = new SimulatedNetwork(storage.db, clock, continuity, calls);
  const network = config.SWITCHBOARD_TELEPHONY === 'simulated' ? telephony : undefined;
  const callbacks = new CallbacksService(storage, clock, accounts, skills, calls, jobs, webhooks.publisher);
  const dispatcher = new CallbackDispatcher({ storage, clock, skills, agents, telephony: overrides.telephony?.(telephony) ?? telephony, calls, jobs, events: webhooks.publisher });
  // Validation checks make_outbound_call.from against the account's numbers, and request_direct_callback.skill against its skills.
  const flows = new FlowsService(storage, clock, async (accountId) => {
    const [entries, skillNames] = await Promise.all([numbers.routingEntries(accountId), skills.names(accountId)]);
    return { numbers: entries.map((entry) => entry.number), skills: skillNames };
  }, (language) => tts.resolve(language) !== undefined);
  const caseStatuses = new CaseStatusesService(storage, clock);
  const caseSettings = new CaseSettingsService(storage, clock, jobs);
  const cases = new CasesService({ storage, clock, jobs, statuses: caseStatuses, settings: caseSettings, timeZoneOf: async (accountId) => (await accounts.getAccount(accountId)).timezone, events: webhooks.publisher });
  // Numbers a flow dials without `+` are read in the account's country.
  const countryOf = async (accountId: string): Promise<string> => (await accounts.getAccount(accountId)).default_country;
  // A flow step's case writes are recorded with them, so a step run again after a crash does not repeat them.
  const stepWrite = stepWrites(storage, clock);
  const secrets = new DirectorySecrets(config.SWITCHBOARD_SECRETS_DIR ?? join(config.SWITCHBOARD_DATA_DIR, 'secrets'));
  const ownsNumber = (accountId: string, number: string): Promise<boolean> => continuity.ownsNumber(accountId, number);
  const flowServices: FlowServices = {
    clock,
    telephony: overrides.telephony?.(telephony) ?? telephony,
    tts,
    calls,
    callbacks,
    // create_case and update_case: the case's audit names the flow; the note follows the change.
    cases: {
      create: (accountId, actor, fields, once) => stepWrite(accountId, `create_case:${once}`, (record) => cases.create(accountId, actor, fields, record)),
      // A change applied again changes nothing; the note is added once.
      update: async (accountId, actor, caseId, { note, ...fields }, once) => {
        await cases.update(accountId, actor, caseId, fields);
        if (note) await stepWrite(accountId, `case_note:${once}`, (record) => cases.addNote(accountId, actor, caseId, note, record));
      },
    },
    random: Math.random,
    http,
    secrets,
    countryOf,
    ownsNumber,
  };
  const simulator = new FlowSimulator(flows, skills, tts, caseStatuses, countryOf, { ownsNumber, secrets });
  const engine = new FlowEngine({ storage, jobs, services: flowServices, handlers: COMPONENT_HANDLERS, events: webhooks.publisher });
  // Starting a flow is limited per account across every node (API.md: 2 per second by default).
  const interactions = new InteractionsService(storage, engine, (accountId) => rateLimiter.enforceAccountLimit(accountId, 'flows_interactions_per_second'));
  const caseSearch = new CaseSearchService(storage, caseStatuses);
  const events: EventPublisher = webhooks.publisher;
  const appStreams = new AppStreams(storage, clock, logger);
  const channelAdapters: ChannelAdapters = {
    appMessaging: new AppMessagingAdapter(appStreams, clock),
    fbMessenger: createFbMessengerAdapter({ egress }),
    whatsApp: createWhatsAppAdapter({ egress }),
    sms: createSmsAdapter({ egress }),
    email: createEmailAdapter({ egress }),
    ...overrides.channelAdapters,
  };
  const channelWebhooks: ChannelWebhooks = { fbMessenger: fbMessengerWebhook, whatsApp: whatsAppWebhook, sms: smsWebhook, email: emailWebhook, ...overrides.channelWebhooks };
  const messaging = createMessaging({
    storage, clock, jobs, events, adapters: channelAdapters, webhooks: channelWebhooks, endAppStreams: (accountId, profileId) => appStreams.endProfile(accountId, profileId),
    countryOf,
    credentialsKey: config.SWITCHBOARD_CREDENTIALS_KEY ?? config.signingSecret,
    circuitBreaker: overrides.circuitBreaker,
    pendingReceipts: overrides.pendingReceipts,
  });
  await messaging.channels.start();
  if (!(await messaging.channels.keyOpensStoredCredentials())) logger.error(CREDENTIALS_KEY_MISMATCH);
  await webhooks.subscriptions.start();
  await appStreams.start({ event: (accountId, messageId) => messaging.messages.appEvent(accountId, messageId), backlog: (accountId, profileId) => messaging.messages.appBacklog(accountId, profileId) });
  exposeMessagingMetrics(metrics, { stats: messaging.stats, breaker: messaging.breaker, openStreams: () => appStreams.openStreams });
  const worker = createWorker({
    storage,
    clock,
    logger,
    schemas: JOB_PAYLOADS,
    handlers: createJobHandlers({ storage, clock, callbacks: dispatcher, flows: engine, cases: new CaseAutomation(storage, clock, caseStatuses, caseSettings, webhooks.publisher), messages: messaging.delivery, webhooks: webhooks.sender }),
    abandoned: abandonedJobs({ flows: engine, messages: messaging.delivery, webhooks: webhooks.sender }),
    concurrency: config.SWITCHBOARD_WORKER_CONCURRENCY,
    // Message sends have places of their own: a slow webhook receiver or a long job never holds up sends.
    pools: { 'message.send': config.SWITCHBOARD_MESSAGE_SEND_CONCURRENCY },
    leaseMs: config.SWITCHBOARD_JOB_LEASE_S * 1000,
  });
  metrics.expose(workerMetrics(worker));
  for (const source of backlogMetrics(storage.db, clock)) metrics.exposeLabelled(source);

  metrics.expose([
    { name: 'switchboard_call_log_buffered', help: 'Call records held in memory while the database is unreachable', read: () => calls.stats.buffered },
    { name: 'switchboard_call_log_dropped_total', help: 'Call records dropped because the outage buffer was full', read: () => calls.stats.dropped, monotonic: true },
    { name: 'switchboard_call_log_written_total', help: 'Call records written to the database', read: () => calls.stats.written, monotonic: true },
    { name: 'switchboard_routing_snapshots', help: 'Accounts whose routing snapshot this node holds', read: () => continuity.snapshots.size },
    { name: 'switchboard_routing_snapshots_stale', help: 'Routing snapshots waiting for the database to reload them', read: () => continuity.snapshots.staleCount },
  ]);

  const readiness = async (): Promise<ReadinessReport> => {
    const checks: ReadinessReport['checks'] = {};
    try {
      await storage.ping(1000);
      checks.database = { status: 'up' };
      checks.credentials = (await messaging.channels.keyOpensStoredCredentials()) ? { status: 'up' } : { status: 'down', detail: CREDENTIALS_KEY_MISMATCH };
    } catch (error) {
      // The reason (which names the database's address) goes to the log, not to this public answer.
      logger.warn({ err: error }, 'readiness: the database did not answer');
      checks.database = { status: 'down', detail: 'the database did not answer within 1 s' };
    }
    const log = calls.stats;
    checks.call_log = log.degraded ? { status: 'degraded', detail: `${log.buffered} records buffered, ${log.dropped} dropped` } : { status: 'up' };
    const stale = continuity.snapshots.staleCount;
    checks.routing = stale > 0 ? { status: 'degraded', detail: `serving ${stale} routing snapshots from before the outage` } : { status: 'up' };
    const healthy = Object.values(checks).every((c) => c.status === 'up');
    return { status: healthy ? 'ready' : 'degraded', checks };
  };

  const services: AppServices = { clock, storage, metrics, accounts, rateLimiter, directory: { numbers, skills, agents, groups }, continuity, calls, callbacks, flows, interactions, simulator, caseSearch, cases: { cases, statuses: caseStatuses, settings: caseSettings }, network, readiness, messaging, appStreams, webhooks: webhooks.endpoints };
  const server = await buildServer(services, {
    logger,
    adminToken: config.SWITCHBOARD_ADMIN_TOKEN,
    bodyLimitBytes: config.SWITCHBOARD_BODY_LIMIT_BYTES,
    trustProxy: config.SWITCHBOARD_TRUST_PROXY,
    responseSealer: sealer,
  });

  if (config.SWITCHBOARD_WORKER) {
    await scheduleRecurringJobs(jobs, storage, clock);
    await worker.start();
    jobs.attach(worker);
  }

  return {
    server,
    services,
    worker,
    async close() {
      // Open app streams would keep the server from closing; their apps reconnect elsewhere.
      await appStreams.stop();
      await messaging.channels.stop();
      await webhooks.subscriptions.stop();
      await server.close();
      await worker.stop();
      await telephony.dropLiveCalls();
      // The run_function worker threads (idle ones never keep the process alive; this frees them).
      await closeSandbox();
      await continuity.stop();
      await accounts.stop();
      await calls.drain().catch(() => undefined);
      calls.close();
      await storage.close();
    },
  };
}
