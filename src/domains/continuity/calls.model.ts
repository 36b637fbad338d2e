import type { CallEvent, CallOutcome, RouteDecision } from '../../ports/telephony.js';

/**
 * What a call was for, when it was not an ordinary call: an API callback request (logged as a
 * zero-second inbound call to the skill), a callback's outbound leg, the bridge joining the
 * customer to the agent, or a call a flow placed (its contact or a forward).
 */
export const CALL_KINDS = ['callback_request', 'callback_leg', 'callback_bridge', 'flow_call'] as const;
export type CallKind = (typeof CALL_KINDS)[number];

/** One call the platform saw or placed, with its ordered events. */
export interface CallRecord {
  id: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  started_at: string;
  ended_at: string | null;
  outcome: CallOutcome | null;
  decision: RouteDecision | null;
  continuity: boolean;
  events: CallEvent[];
  updated_at: string;
  kind?: CallKind | null | undefined;
  /** The skill a callback's calls are logged to. */
  skill?: string | null | undefined;
}

export interface CallFilters {
  direction?: 'inbound' | 'outbound' | undefined;
  outcome?: CallOutcome | undefined;
  number?: string | undefined;
  started_from?: string | undefined;
  started_to?: string | undefined;
}

/** Where the calls the platform places are written and read back, one record per call. */
export interface CallRecords {
  /** Stores the latest version of a call (a new object per version). */
  record(accountId: string, call: CallRecord): Promise<void>;
  /** The latest version of a call; rejects with not_found. */
  get(accountId: string, id: string): Promise<CallRecord>;
}
