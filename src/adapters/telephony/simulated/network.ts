import type { Db } from '../../../ports/storage.js';
import type { Announcement, CallControl, CallEvent, InboundRouter, LegOutcome, RouteDecision } from '../../../ports/telephony.js';
import type { Clock } from '../../../kernel/clock.js';
import { notFound } from '../../../kernel/errors.js';
import { newId } from '../../../kernel/ids.js';
import { isE164 } from '../../../kernel/phone.js';
import type { CallLog, CallRecord } from '../../../domains/continuity/index.js';
import { DEFAULT_SCRIPT, DEFAULT_TALK_S, type PhoneScript } from './phone-script.js';
import { simPhonesRepo } from './sim-phones.repo.js';

/** Ring time the network gives a forward before giving up, as a PBX's forward timeout would. */
const FORWARD_RING_TIMEOUT_S = 30;
/** Roughly how long text takes to speak, so a message holds the call for a realistic time. */
const WORDS_PER_SECOND = 2.5;

const speakingSeconds = (text: string): number => Math.max(1, Math.ceil(text.split(/\s+/).length / WORDS_PER_SECOND));

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
export class SimulatedNetwork implements CallControl {
  private readonly live = new Map<string, LiveCall>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly router: InboundRouter,
    private readonly calls: CallLog,
  ) {}

  async scriptPhone(accountId: string, number: string, script: PhoneScript): Promise<PhoneScript> {
    await simPhonesRepo(this.db).save(accountId, number, script, this.clock.now().toISOString());
    return script;
  }

  async phoneScript(accountId: string, number: string): Promise<PhoneScript> {
    return (await simPhonesRepo(this.db).find(accountId, number)) ?? DEFAULT_SCRIPT;
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
   * Dials an external number and reports the leg's single outcome after the scripted delay.
   * Answered only within the ring timeout; `reject` counts as busy (DESIGN.md telephony model).
   */
  async dial(accountId: string, to: string, ringTimeoutS: number, onEvent: (event: CallEvent) => void): Promise<LegOutcome> {
    if (!isE164(to)) return 'invalid_number';
    const script = await this.phoneScript(accountId, to);
    const immediate = { invalid: 'invalid_number', busy: 'busy', reject: 'busy' } as const;
    if (script.behavior === 'invalid' || script.behavior === 'busy' || script.behavior === 'reject') return immediate[script.behavior];
    onEvent({ type: 'ringing', at: this.now(), leg: to });
    const answers = script.behavior === 'answer' && script.answer_after_s < ringTimeoutS;
    const afterS = answers ? script.answer_after_s : ringTimeoutS;
    return new Promise((resolve) => this.clock.setTimer(afterS * 1000, () => resolve(answers ? 'answered' : 'no_answer')));
  }

  /** Holds the leg for as long as the text takes to speak. */
  async play(_accountId: string, _to: string, announcement: Announcement): Promise<void> {
    await this.wait(speakingSeconds(announcement.text));
  }

  /** The scripted phone presses the first key of its `dtmf` once the prompt has been spoken; no script, no key. */
  async promptDigit(accountId: string, to: string, announcement: Announcement, timeoutS: number): Promise<string | null> {
    const script = await this.phoneScript(accountId, to);
    await this.wait(speakingSeconds(announcement.text));
    const key = script.dtmf?.charAt(0) ?? '';
    if (key !== '') return key;
    await this.wait(timeoutS);
    return null;
  }

  /** The scripted phone types its `dtmf` (up to the terminator or `maxDigits`) once the prompt has been spoken; no script, no keys. */
  async collectDigits(accountId: string, to: string, announcement: Announcement, limits: { maxDigits: number; terminator: string | null; timeoutS: number }): Promise<string> {
    const script = await this.phoneScript(accountId, to);
    await this.wait(speakingSeconds(announcement.text));
    const typed = script.dtmf ?? '';
    const end = limits.terminator === null ? -1 : typed.indexOf(limits.terminator);
    const keys = (end === -1 ? typed : typed.slice(0, end)).slice(0, limits.maxDigits);
    // Without a terminator (or with too few keys) the network waits for the next key until the timeout.
    if (end === -1 && keys.length < limits.maxDigits) await this.wait(limits.timeoutS);
    return keys;
  }

  /** The scripted phone says its `speech` once the prompt has been spoken; no script, silence until the timeout. */
  async listen(accountId: string, to: string, announcement: Announcement, timeoutS: number): Promise<string | null> {
    const script = await this.phoneScript(accountId, to);
    await this.wait(speakingSeconds(announcement.text));
    if (script.speech !== undefined && script.speech !== '') {
      await this.wait(speakingSeconds(script.speech));
      return script.speech;
    }
    await this.wait(timeoutS);
    return null;
  }

  /** The two parties talk until the customer's phone hangs up after its scripted `talk_s`. */
  async bridge(accountId: string, customer: string): Promise<void> {
    const script = await this.phoneScript(accountId, customer);
    await this.wait(script.talk_s ?? DEFAULT_TALK_S);
  }

  private wait(seconds: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(seconds * 1000, resolve));
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
      this.append(call, event);
      void this.save(call);
    });
    void leg.then(
      (outcome) => this.forwardEnded(call, target, outcome),
      (error: unknown) => this.forwardEnded(call, target, 'failed', error instanceof Error ? error.message : 'network failure'),
    );
  }

  private async forwardEnded(call: LiveCall, target: string, outcome: LegOutcome, reason = 'network failure'): Promise<void> {
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

  private now(): string {
    return this.clock.now().toISOString();
  }

  private key(accountId: string, callId: string): string {
    return `${accountId}\u0000${callId}`;
  }
}
