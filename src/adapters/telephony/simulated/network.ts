import type { Db } from '../../../ports/storage.js';
import type { CallEvent, InboundRouter, LegOutcome, RouteDecision } from '../../../ports/telephony.js';
import type { Clock } from '../../../kernel/clock.js';
import { notFound } from '../../../kernel/errors.js';
import { newId } from '../../../kernel/ids.js';
import type { CallLog, CallRecord } from '../../../domains/continuity/index.js';
import { DEFAULT_SCRIPT, type PhoneScript } from './phone-script.js';
import { ScriptedCallControl, speakingSeconds } from './scripted-calls.js';
import { simPhonesRepo } from './sim-phones.repo.js';

/** Ring time the network gives a forward before giving up, as a PBX's forward timeout would. */
const FORWARD_RING_TIMEOUT_S = 30;

export interface PlacedCall {
  call_id: string;
  decision: RouteDecision;
  events: CallEvent[];
}

interface LiveCall {
  accountId: string;
  record: CallRecord;
  cancelTimer?: () => void;
}

/**
 * The in-process virtual telephone network. External numbers behave as scripted per account;
 * inbound calls are routed exactly as a carrier's would be (through the InboundRouter) and the
 * decision is then carried out on the network's clock, every step landing in the call log.
 */
export class SimulatedNetwork extends ScriptedCallControl {
  private readonly live = new Map<string, LiveCall>();

  constructor(
    private readonly db: Db,
    clock: Clock,
    private readonly router: InboundRouter,
    private readonly calls: CallLog,
  ) {
    super(async (accountId, number) => (await simPhonesRepo(db).find(accountId, number)) ?? DEFAULT_SCRIPT, clock);
  }

  async scriptPhone(accountId: string, number: string, script: PhoneScript): Promise<PhoneScript> {
    await simPhonesRepo(this.db).save(accountId, number, script, this.clock.now().toISOString());
    return script;
  }

  phoneScript(accountId: string, number: string): Promise<PhoneScript> {
    return this.scripts(accountId, number);
  }

  async forgetPhone(accountId: string, number: string): Promise<void> {
    if (!(await simPhonesRepo(this.db).delete(accountId, number))) throw notFound('scripted phone');
  }

  /** A caller dials one of the account's numbers. Resolves once the route is decided and under way. */
  async placeInboundCall(accountId: string, from: string, to: string): Promise<PlacedCall> {
    const callId = newId();
    const routed = await this.router.route({ accountId, callId, from, to });
    const started = this.clock.now().toISOString();
    const call: LiveCall = {
      accountId,
      record: {
        id: callId, direction: 'inbound', from, to, started_at: started, ended_at: null, outcome: null,
        decision: routed.decision, continuity: routed.continuity, events: [{ type: 'ringing', at: started }], updated_at: started,
      },
    };
    this.live.set(this.key(accountId, callId), call);
    await this.carryOut(call, routed.decision);
    return { call_id: callId, decision: routed.decision, events: call.record.events };
  }

  /** The caller hangs up a call still in progress (waiting in a queue or for a flow). */
  async hangUp(accountId: string, callId: string): Promise<CallRecord> {
    const call = this.live.get(this.key(accountId, callId));
    if (!call) throw notFound('call in progress');
    call.cancelTimer?.();
    await this.finish(call, 'completed', { type: 'hangup', at: this.now(), by: 'caller' });
    return call.record;
  }

  /**
   * The node is stopping, and the inbound calls it carries go with it: each ends `failed` in the
   * call log, saying why, instead of staying in progress with nothing left to end it.
   */
  async dropLiveCalls(): Promise<void> {
    const calls = [...this.live.values()];
    for (const call of calls) call.cancelTimer?.();
    await Promise.all(calls.map((call) => this.finish(call, 'failed', { type: 'failed', at: this.now(), reason: 'the node carrying the call stopped' })));
  }

  private async carryOut(call: LiveCall, decision: RouteDecision): Promise<void> {
    if (decision.message) {
      this.append(call, { type: 'answered', at: this.now() }, { type: 'played', at: this.now(), text: decision.message.text, language: decision.message.language });
      const seconds = speakingSeconds(decision.message.text);
      await this.save(call);
      call.cancelTimer = this.clock.setTimer(seconds * 1000, () => void this.afterMessage(call, decision));
      return;
    }
    await this.afterMessage(call, decision);
  }

  private async afterMessage(call: LiveCall, decision: RouteDecision): Promise<void> {
    switch (decision.action) {
      case 'forward':
        return this.forward(call, decision.forward_to ?? '');
      case 'message':
        return this.finish(call, 'completed', { type: 'hangup', at: this.now(), by: 'platform' });
      case 'flow':
        this.append(call, { type: 'flow', at: this.now(), flow_id: decision.flow_id ?? '' });
        return this.save(call);
      case 'queue':
        this.append(call, { type: 'queued', at: this.now(), queue: 'default' });
        return this.save(call);
    }
  }

  /** Starts the forward leg and returns at once; the leg's outcome ends the call when it comes. */
  private async forward(call: LiveCall, target: string): Promise<void> {
    this.append(call, { type: 'forwarded', at: this.now(), to: target });
    await this.save(call);
    const leg = this.dial(call.accountId, target, FORWARD_RING_TIMEOUT_S, (event) => {
      if (!this.isLive(call)) return;
      this.append(call, event);
      void this.save(call);
    });
    void leg.then(
      (outcome) => this.forwardEnded(call, target, outcome),
      (error: unknown) => this.forwardEnded(call, target, 'failed', error instanceof Error ? error.message : 'network failure'),
    );
  }

  private async forwardEnded(call: LiveCall, target: string, outcome: LegOutcome, reason = 'network failure'): Promise<void> {
    // The caller hung up while the target rang: the call is over, whatever the leg did after.
    if (!this.isLive(call)) return;
    if (outcome === 'answered') {
      // The caller is now connected to the target; the platform's part of the call is over.
      return this.finish(call, 'forwarded', { type: 'answered', at: this.now(), leg: target });
    }
    this.append(call, outcome === 'failed' ? { type: 'failed', at: this.now(), leg: target, reason } : { type: outcome, at: this.now(), leg: target });
    await this.finish(call, outcome, { type: 'hangup', at: this.now(), by: 'platform' });
  }

  private async finish(call: LiveCall, outcome: CallRecord['outcome'], last: CallEvent): Promise<void> {
    this.append(call, last);
    call.record = { ...call.record, outcome, ended_at: this.now() };
    this.live.delete(this.key(call.accountId, call.record.id));
    await this.save(call);
  }

  private append(call: LiveCall, ...events: CallEvent[]): void {
    call.record = { ...call.record, events: [...call.record.events, ...events], updated_at: this.now() };
  }

  private save(call: LiveCall): Promise<void> {
    return this.calls.record(call.accountId, call.record);
  }

  private isLive(call: LiveCall): boolean {
    return this.live.get(this.key(call.accountId, call.record.id)) === call;
  }

  private key(accountId: string, callId: string): string {
    return `${accountId}\u0000${callId}`;
  }
}
