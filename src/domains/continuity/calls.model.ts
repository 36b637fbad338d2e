import type { CallEvent, CallOutcome, RouteDecision } from '../../ports/telephony.js';

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
}

export interface CallFilters {
  direction?: 'inbound' | 'outbound' | undefined;
  outcome?: CallOutcome | undefined;
  number?: string | undefined;
  started_from?: string | undefined;
  started_to?: string | undefined;
}
