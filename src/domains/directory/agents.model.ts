export const AGENT_STATUSES = ['offline', 'available', 'busy', 'away'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export interface Agent {
  id: string;
  name: string;
  email: string | null;
  /** Skill names, as clients write and read them; stored by skill id so renames follow. */
  skills: string[];
  status: AgentStatus;
  phone: string | null;
  /** When `status` last took a different value: how long an agent has been available, or away. */
  status_changed_at: string;
  created_at: string;
  updated_at: string;
}

export interface AgentFilters {
  status?: AgentStatus | undefined;
  /** An exact skill name. */
  skill?: string | undefined;
}

export interface AgentInput {
  name: string;
  email?: string | null | undefined;
  skills?: string[] | undefined;
  status?: AgentStatus | undefined;
  phone?: string | null | undefined;
}

export type AgentPatch = Partial<AgentInput>;
