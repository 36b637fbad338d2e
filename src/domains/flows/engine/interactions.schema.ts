import { z } from 'zod';
import { INTERACTION_STATUSES } from './interaction.model.js';

/**
 * The start request: a flat object keyed by argument names; values are checked against the
 * version (strings only). No body at all is no arguments: a flow without required ones starts.
 */
export const startInteractionBody = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((body) => body ?? {})
  .describe("The flow's input arguments by name; every value a string");

export const startedInteractionSchema = z.object({
  interaction_id: z.string(),
  flow_version_id: z.string(),
  flow_execution_id: z.string(),
});

export const stepSchema = z.object({
  component: z.string(),
  type: z.string(),
  exit: z.string().nullable(),
  started_at: z.string(),
  ended_at: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

export const interactionSchema = z.object({
  interaction_id: z.string(),
  flow_id: z.string(),
  flow_version_id: z.string(),
  flow_execution_id: z.string(),
  status: z.enum(INTERACTION_STATUSES),
  arguments: z.record(z.string(), z.string()),
  variables: z.record(z.string(), z.string()),
  current: z.string().nullable(),
  reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  ended_at: z.string().nullable(),
  steps: z.array(stepSchema),
});

const instant = z.iso.datetime({ offset: true });

export const executionsQuery = z.strictObject({
  status: z.enum(INTERACTION_STATUSES).optional(),
  created_from: instant.optional(),
  created_to: instant.optional(),
});
