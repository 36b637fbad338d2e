import { z } from 'zod';
import { AGENT_STATUSES } from './agents.model.js';
import { e164 } from './numbers.schema.js';
import { emailAddress } from '../../kernel/email.js';

const MAX_SKILLS = 100;

const agentStatus = z.enum(AGENT_STATUSES);
const agentName = z.string().trim().min(1).max(200);
const email = emailAddress().max(254);
/** Skill names, matched exactly against the account's skills. */
const skillNames = z.array(z.string().min(1).max(200)).max(MAX_SKILLS);

export const agentSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  skills: z.array(z.string()),
  status: agentStatus,
  phone: z.string().nullable(),
  status_changed_at: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const createAgentBody = z.strictObject({
  name: agentName,
  email: email.nullable().default(null),
  skills: skillNames.default([]),
  status: agentStatus.default('offline'),
  phone: e164.nullable().default(null),
});

export const updateAgentBody = z.strictObject({
  name: agentName.optional(),
  email: email.nullable().optional(),
  skills: skillNames.optional(),
  status: agentStatus.optional(),
  phone: e164.nullable().optional(),
});

export const agentStatusBody = z.strictObject({ status: agentStatus });

/** List filters, merged by the route with the paging parameters. */
export const agentFilterQuery = {
  status: agentStatus.optional(),
  skill: z.string().min(1).max(200).optional(),
};
