import type { Executor, Storage } from '../../ports/storage.js';
import type { EventPublisher } from '../../ports/events.js';
import { CHANNELS } from '../../ports/channels.js';
import type { TextToSpeech } from '../../ports/tts.js';
import type { CallEvent, InboundRouter, RouteDecision, RoutedCall } from '../../ports/telephony.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { DomainError, invalid, type FieldProblem } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { Recent } from '../../kernel/recent.js';
import { pageOf, type Page } from '../../kernel/page.js';
import type { Principal } from '../accounts/index.js';
import type { NumbersService } from '../directory/index.js';
import { DEFAULT_TARGET_KEY, type Activation, type AuditEntry, type DowntimeMessage, type FallbackSettings } from './continuity.model.js';
import { continuityRepo } from './continuity.repo.js';
import { decide } from './decision.js';
import { settingsChanges } from './settings-changes.js';
import { buildSnapshot, RoutingSnapshots } from './snapshot.js';
import type { CallLog } from './call-log.js';
import type { CallRecord } from './calls.model.js';

const RECENT_DECISIONS = 50_000;

/**
 * The Fallback Experience: settings, the enable switch, their audit trail, and the decision for
 * every new inbound call, served from the in-memory routing snapshot.
 */
export class ContinuityService implements InboundRouter {
  readonly snapshots: RoutingSnapshots;
  /** A carrier retrying the routing hook for the same call gets the route decided the first time. */
  private readonly recent = new Recent<string, Promise<RoutedCall>>(RECENT_DECISIONS);
  private unlisten: (() => Promise<void>) | undefined;
  /** Tags this node's own announcements: it has already installed the snapshot they describe. */
  private readonly nodeId = newId();

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly numbers: NumbersService,
    private readonly calls: CallLog,
    private readonly tts: TextToSpeech,
    logger: Logger,
    /** Where continuity.activated and continuity.deactivated go, inside the switch's transaction. */
    private readonly events: EventPublisher,
  ) {
    this.snapshots = new RoutingSnapshots(
      { loadContinuity: (id) => continuityRepo(storage.db).load(id), loadNumbers: (id) => numbers.routingEntries(id) },
      logger,
    );
  }

  /** Follows every node's routing changes; a reconnect after a lost connection reloads everything. */
  async start(): Promise<void> {
    this.unlisten = await this.storage.listen(
      CHANNELS.routing,
      (payload) => {
        const [accountId = '', origin] = payload.split('|');
        if (origin !== this.nodeId) void this.snapshots.refresh(accountId);
      },
      () => this.snapshots.refreshAll(),
    );
  }

  async stop(): Promise<void> {
    this.snapshots.close();
    await this.unlisten?.();
  }

  async getSettings(accountId: string): Promise<FallbackSettings> {
    return (await continuityRepo(this.storage.db).load(accountId)).settings;
  }

  async putSettings(principal: Principal, input: { forward: Record<string, string>; message: DowntimeMessage | null }): Promise<FallbackSettings> {
    const { accountId } = principal;
    const numbers = await this.numbers.routingEntries(accountId);
    const message = input.message && { ...input.message, language: this.checkLanguage(input.message.language) };
    this.checkForwardKeys(input.forward, new Set(numbers.map((n) => n.number)));
    const settings: FallbackSettings = { forward: input.forward, message, updated_at: this.clock.now().toISOString() };
    const { [DEFAULT_TARGET_KEY]: defaultTarget, ...perNumber } = input.forward;
    const row = await this.storage.db.transaction().execute(async (trx) => {
      const repo = continuityRepo(trx);
      const before = (await repo.load(accountId)).settings;
      await repo.saveSettings(accountId, settings);
      await repo.insertAudit(accountId, this.auditEntry(principal, 'settings', {
        forwards: Object.keys(perNumber).length,
        default: defaultTarget ?? null,
        message: message ? { language: message.language, length: message.downtime_message.length } : null,
        changes: settingsChanges(before, settings),
      }));
      await this.storage.notify(trx, CHANNELS.routing, `${accountId}|${this.nodeId}`);
      // Built from what was written rather than read back: the forward map can be megabytes.
      return { settings, activation: await repo.loadActivation(accountId) };
    });
    this.snapshots.put(accountId, buildSnapshot(row, numbers));
    return settings;
  }

  /**
   * Run inside the transaction that deletes one of the account's numbers: its forward entry goes
   * with it (audited like any settings change), so the stored settings only ever name the
   * account's numbers and what GET returns can always be PUT back.
   */
  async forgetNumber(executor: Executor, deletion: { accountId: string; number: string; actor: string }): Promise<void> {
    const repo = continuityRepo(executor);
    const { settings } = await repo.load(deletion.accountId);
    if (!Object.hasOwn(settings.forward, deletion.number)) return;
    const { [deletion.number]: target, ...forward } = settings.forward;
    await repo.saveSettings(deletion.accountId, { ...settings, forward, updated_at: this.clock.now().toISOString() });
    await repo.insertAudit(deletion.accountId, this.auditEntry(deletion, 'settings', { forward_removed: { [deletion.number]: target }, reason: 'number deleted' }));
  }

  /**
   * Run inside the transaction that adds a number to the account: a number the settings forward
   * calls to is refused, or calls to the account's other lines would be forwarded to its own
   * line (which an outage takes down with them), and the stored settings could not be PUT back.
   */
  async refuseForwardTarget(executor: Executor, accountId: string, number: string): Promise<void> {
    const { settings } = await continuityRepo(executor).load(accountId);
    const keys = Object.entries(settings.forward).filter(([, target]) => target === number).map(([key]) => key);
    if (keys.length === 0) return;
    throw new DomainError('conflict', `${number} is a forward target of the Fallback Experience settings (${keys.map((key) => `forward.${key}`).join(', ')}): change those forwards first`, [
      { name: 'number', description: 'is a forward target of the Fallback Experience settings' },
    ]);
  }

  async getActivation(accountId: string): Promise<Activation> {
    return continuityRepo(this.storage.db).loadActivation(accountId);
  }

  async setActivation(principal: Principal, enabled: boolean): Promise<Activation> {
    const { accountId } = principal;
    const activation: Activation = { enabled, changed_at: this.clock.now().toISOString(), changed_by: principal.actor };
    const stored = await this.storage.db.transaction().execute(async (trx) => {
      const repo = continuityRepo(trx);
      const before = await repo.lockActivation(accountId, this.storage.dialect);
      // Saving the position the switch is already in changes nothing: who changed it and when
      // stay those of the last real change, and nothing is audited or announced.
      if (before.enabled === enabled) return before;
      await repo.saveActivation(accountId, activation);
      await repo.insertAudit(accountId, this.auditEntry(principal, 'activation', { enabled }));
      await this.storage.notify(trx, CHANNELS.routing, `${accountId}|${this.nodeId}`);
      await this.events.publish(trx, accountId, enabled ? 'continuity.activated' : 'continuity.deactivated', { ...activation });
      return activation;
    });
    this.snapshots.setEnabled(accountId, enabled);
    return stored;
  }

  async audit(accountId: string, before: string | undefined, perPage: number): Promise<Page<AuditEntry>> {
    const repo = continuityRepo(this.storage.db);
    const [rows, total] = await Promise.all([repo.listAudit(accountId, before, perPage + 1), repo.countAudit(accountId)]);
    return pageOf(rows, perPage, total, (row) => row.id);
  }

  /**
   * Whether `number` is one of the account's numbers: from the routing snapshot (no query once it
   * is loaded), and from the database when the snapshot says no, since a number added on another
   * node reaches this one's snapshot a few milliseconds later.
   */
  async ownsNumber(accountId: string, number: string): Promise<boolean> {
    if ((await this.snapshots.get(accountId)).inboundFlows.has(number)) return true;
    return this.numbers.get(accountId, number).then(() => true, () => false);
  }

  /**
   * Decides the route of a new inbound call from the snapshot and logs it. A call the log already
   * holds (the hook asked again after a restart, or on another node) keeps the route it was given
   * first. Never waits on the database once the account's snapshot is loaded: the call log buffers
   * through an outage.
   */
  route(call: { accountId: string; callId: string; from: string; to: string }): Promise<RoutedCall> {
    const key = `${call.accountId}\u0000${call.callId}`;
    const repeated = this.recent.get(key);
    if (repeated) return repeated;
    const routing = this.decideAndLog(call);
    // Requests for the call that come meanwhile wait for the same answer.
    this.recent.set(key, routing);
    routing.catch(() => this.recent.delete(key));
    return routing;
  }

  private async decideAndLog(call: { accountId: string; callId: string; from: string; to: string }): Promise<RoutedCall> {
    const snapshot = await this.snapshots.get(call.accountId);
    const { decision, continuity } = decide(snapshot, call.to);
    const at = this.clock.now().toISOString();
    // Logged as decided: whoever carries the call (the carrier, or this platform's network, which
    // writes its own events over these) plays and forwards as told. A forward or a message ends
    // the platform's part of the call; a flow or the queue keeps it in progress.
    const ends = decision.action === 'forward' || decision.action === 'message';
    const record: CallRecord = {
      id: call.callId,
      direction: 'inbound',
      from: call.from,
      to: call.to,
      started_at: at,
      ended_at: ends ? at : null,
      outcome: decision.action === 'forward' ? 'forwarded' : decision.action === 'message' ? 'completed' : null,
      decision,
      continuity,
      events: decidedEvents(decision, at),
      updated_at: at,
    };
    const logged = await this.calls.recordArrival(call.accountId, record);
    // Another node, or this one before a restart, routed the call first.
    if (logged !== record && logged.direction === 'inbound' && logged.decision) return { call_id: call.callId, decision: logged.decision, continuity: logged.continuity };
    return { call_id: call.callId, decision, continuity };
  }

  private checkLanguage(language: string): string {
    let canonical: string | undefined;
    try {
      canonical = Intl.getCanonicalLocales(language)[0];
    } catch {
      throw invalid([{ name: 'message.language', description: 'must be a BCP-47 language tag such as en-US' }]);
    }
    const supported = canonical && this.tts.resolve(canonical);
    if (!supported) {
      throw invalid([{ name: 'message.language', description: `is not a language the text-to-speech engine speaks (${[...this.tts.languages].slice(0, 12).join(', ')}, ...)` }]);
    }
    return supported;
  }

  private checkForwardKeys(forward: Record<string, string>, accountNumbers: ReadonlySet<string>): void {
    const problems: FieldProblem[] = [];
    for (const [key, target] of Object.entries(forward)) {
      if (key !== DEFAULT_TARGET_KEY && !accountNumbers.has(key)) {
        problems.push({ name: `forward.${key}`, description: "is not one of the account's numbers (or the reserved key default)" });
      } else if (accountNumbers.has(target)) {
        // An outage takes the account's own lines down with it: forwarding to one loops back.
        problems.push({ name: `forward.${key}`, description: "is one of the account's own numbers: forward to an external number" });
      }
      if (problems.length >= 100) break;
    }
    if (problems.length > 0) throw invalid(problems);
  }

  private auditEntry(actor: Pick<Principal, 'actor'>, change: AuditEntry['change'], detail: Record<string, unknown>): AuditEntry {
    const now = this.clock.now();
    return { id: newId(now.getTime()), change, actor: actor.actor, detail, created_at: now.toISOString() };
  }
}

/** The events of a call routed as decided: the message, then the forward, the flow or the queue. */
function decidedEvents(decision: RouteDecision, at: string): CallEvent[] {
  const events: CallEvent[] = [{ type: 'ringing', at }];
  if (decision.message) events.push({ type: 'answered', at }, { type: 'played', at, text: decision.message.text, language: decision.message.language });
  if (decision.action === 'forward' && decision.forward_to) events.push({ type: 'forwarded', at, to: decision.forward_to });
  if (decision.action === 'flow' && decision.flow_id) events.push({ type: 'flow', at, flow_id: decision.flow_id });
  if (decision.action === 'queue') events.push({ type: 'queued', at, queue: 'default' });
  return events;
}
