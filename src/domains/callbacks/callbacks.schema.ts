import { z } from 'zod';
import { ATTEMPT_OUTCOMES, CALLBACK_STATES } from './callbacks.model.js';

/** The web-form request; field names follow the vendor API it is modelled on. */
export const callbackRequestBody = z.object({
  skill: z.string().max(200),
  callbackNumber: z.string().max(64),
});

export const attemptSchema = z.object({
  at: z.string(),
  outcome: z.enum(ATTEMPT_OUTCOMES),
  agent_id: z.string().nullable(),
  call_id: z.string().nullable(),
});

export const callbackSchema = z.object({
  id: z.string(),
  skill: z.string(),
  callback_number: z.string(),
  state: z.enum(CALLBACK_STATES),
  agent_id: z.string().nullable(),
  attempts: z.array(attemptSchema),
  requests: z.number(),
  last_requested_at: z.string(),
  queued_at: z.string(),
  next_attempt_at: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const callbacksQuery = z.strictObject({
  skill: z.string().min(1).max(200).optional(),
  state: z.enum(CALLBACK_STATES).optional(),
  created_from: z.iso.datetime({ offset: true }).optional(),
  created_to: z.iso.datetime({ offset: true }).optional(),
});
