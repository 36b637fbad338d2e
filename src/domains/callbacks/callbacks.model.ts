/** Where a callback is in its life; `completed`, `failed` and `cancelled` are final. */
export const CALLBACK_STATES = ['queued', 'reserved', 'dialing', 'connected', 'completed', 'failed', 'cancelled'] as const;
export type CallbackState = (typeof CALLBACK_STATES)[number];

/** The states in which a callback still waits to be dialled; a repeat request joins such a callback. */
export const WAITING_STATES = ['queued', 'reserved', 'dialing'] as const satisfies readonly CallbackState[];

/**
 * How one attempt to reach the customer ended: the customer leg's outcome, or what happened
 * after they answered (agent unreachable, the customer's choice in the announcement, no choice).
 */
export const ATTEMPT_OUTCOMES = [
  'answered', 'busy', 'no_answer', 'invalid_number', 'failed', 'agent_unreachable', 'snoozed', 'cancelled', 'no_input', 'interrupted', 'hold_timeout',
] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export interface Attempt {
  at: string;
  outcome: AttemptOutcome;
  agent_id: string | null;
  call_id: string | null;
}

export interface Callback {
  id: string;
  /** The name of its skill: the current one, or the last it had once deleted. */
  skill: string;
  skill_id: string;
  callback_number: string;
  state: CallbackState;
  agent_id: string | null;
  attempts: Attempt[];
  /** How many times this callback was requested: repeats while it waits are counted here. */
  requests: number;
  last_requested_at: string;
  /** Its place in the skill's queue: arrival order, or the time it was snoozed to the back. */
  queued_at: string;
  /** Not dialled before this time (the retry delay after an unsuccessful attempt). */
  next_attempt_at: string;
  created_at: string;
  updated_at: string;
}

export interface CallbackFilters {
  skill?: string | undefined;
  state?: CallbackState | undefined;
  created_from?: string | undefined;
  created_to?: string | undefined;
}
