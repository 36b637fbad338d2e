import { z } from 'zod';

const MAX_MEMBERS = 1000;

const groupName = z.string().trim().min(1).max(200);
const agentIds = z.array(z.string().min(1).max(100)).max(MAX_MEMBERS);

export const groupSchema = z.object({
  id: z.string(),
  name: z.string(),
  agent_ids: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});

export const createGroupBody = z.strictObject({
  name: groupName,
  agent_ids: agentIds.default([]),
});

export const updateGroupBody = z.strictObject({
  name: groupName.optional(),
  agent_ids: agentIds.optional(),
});
