export interface Group {
  id: string;
  name: string;
  /** Member agents, in id (creation) order. */
  agent_ids: string[];
  created_at: string;
  updated_at: string;
}

export interface GroupInput {
  name: string;
  agent_ids?: string[] | undefined;
}

export type GroupPatch = Partial<GroupInput>;
