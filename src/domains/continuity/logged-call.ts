import type { Clock } from '../../kernel/clock.js';
import { newId } from '../../kernel/ids.js';
import type { CallEvent, CallOutcome } from '../../ports/telephony.js';
import type { CallKind, CallRecord, CallRecords } from './calls.model.js';

/**
 * One call the platform places (a callback's or a flow's) in the call log, saved after every
 * change. The call log keeps a record by reference until written, so each version is a new object.
 */
export class LoggedCall {
  private record: CallRecord;

  constructor(
    private readonly calls: CallRecords,
    private readonly clock: Clock,
    readonly accountId: string,
    init: { id?: string | undefined; kind: CallKind; direction: CallRecord['direction']; from: string; to: string; skill?: string },
  ) {
    const at = clock.now().toISOString();
    this.record = {
      id: init.id ?? newId(clock.now().getTime()), direction: init.direction, from: init.from, to: init.to, started_at: at, ended_at: null,
      outcome: null, decision: null, continuity: false, events: [], updated_at: at, kind: init.kind, skill: init.skill ?? null,
    };
  }

  /** Carries on a call already in the log (a customer still on the line when a later job picks the callback up). */
  static async resume(calls: CallRecords, clock: Clock, accountId: string, callId: string): Promise<LoggedCall> {
    const record = await calls.get(accountId, callId);
    const call = new LoggedCall(calls, clock, accountId, { kind: record.kind ?? 'callback_leg', direction: record.direction, from: record.from, to: record.to });
    call.record = record;
    return call;
  }

  /**
   * Ends a leg whose placing node stopped mid-dial as failed, so the call log holds no call
   * ringing forever; nothing when it already ended or never reached the log.
   */
  static async closeInterrupted(calls: CallRecords, clock: Clock, accountId: string, callId: string): Promise<void> {
    const leg = await LoggedCall.resume(calls, clock, accountId, callId).catch(() => undefined);
    if (!leg || leg.ended) return;
    await leg.add({ type: 'failed', reason: 'interrupted: the node placing the call stopped' }).end('failed').save();
  }

  get id(): string {
    return this.record.id;
  }

  get ended(): boolean {
    return this.record.ended_at !== null;
  }

  get events(): readonly CallEvent[] {
    return this.record.events;
  }

  /** Appends events stamped now; `save()` writes them. */
  add(...events: DistributiveOmit<CallEvent, 'at'>[]): this {
    const at = this.clock.now().toISOString();
    this.record = { ...this.record, events: [...this.record.events, ...events.map((event) => ({ ...event, at }) as CallEvent)], updated_at: this.nextVersion() };
    return this;
  }

  end(outcome: CallOutcome): this {
    const at = this.clock.now().toISOString();
    this.record = { ...this.record, outcome, ended_at: at, updated_at: this.nextVersion() };
    return this;
  }

  /**
   * `updated_at` of the next version: now, but always later than the previous version's. The call
   * log keeps the version with the latest `updated_at` whatever order concurrent writes land in,
   * so two versions made within one millisecond must not tie.
   */
  private nextVersion(): string {
    const previous = Date.parse(this.record.updated_at);
    return new Date(Math.max(this.clock.now().getTime(), previous + 1)).toISOString();
  }

  save(): Promise<void> {
    return this.calls.record(this.accountId, this.record);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
