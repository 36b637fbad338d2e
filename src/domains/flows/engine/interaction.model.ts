/** Where an interaction is in its life; all but `running` are final. */
export const INTERACTION_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
export type InteractionStatus = (typeof INTERACTION_STATUSES)[number];

/** The call an interaction holds once its `make_outbound_call` was answered. */
export interface ActiveCall {
  /** The call-log id of the contact's leg. */
  call_id: string;
  contact_number: string;
  touchpoint_number: string;
  /** DTMF keys the contact has pressed on the call so far (absent: none). */
  keys_used?: number;
}

/** One component run: what it was, which exit it left by, when, and what it did. */
export interface Step {
  component: string;
  type: string;
  /** Null for the last step of a flow that ended or failed there. */
  exit: string | null;
  started_at: string;
  ended_at: string;
  detail: Record<string, unknown>;
}

export interface Interaction {
  interaction_id: string;
  flow_id: string;
  flow_version_id: string;
  flow_execution_id: string;
  status: InteractionStatus;
  arguments: Record<string, string>;
  variables: Record<string, string>;
  /** The component running or about to run; null once the interaction is over. */
  current: string | null;
  /** Why it failed. */
  reason: string | null;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
  steps: Step[];
}

export interface ExecutionFilters {
  status?: InteractionStatus | undefined;
  created_from?: string | undefined;
  created_to?: string | undefined;
}

/** The 202 answer to a start request. */
export interface StartedInteraction {
  interaction_id: string;
  flow_version_id: string;
  flow_execution_id: string;
}
