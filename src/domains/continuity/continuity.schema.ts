import { z } from 'zod';
import { e164 } from '../directory/index.js';
import { CALL_KINDS } from './calls.model.js';

/** A field the server sets: accepted and ignored on PUT, so what GET answered can be sent back as it is. */
const readOnly = z.string().nullable().optional().describe('read-only: ignored when sent');

export const settingsBody = z.strictObject({
  forward: z.record(z.string(), e164).default({}),
  message: z
    .strictObject({
      downtime_message: z.string().trim().min(1).max(2000),
      language: z.string().min(2).max(35).default('en-US'),
    })
    .nullable()
    .default(null),
  updated_at: readOnly,
});

export const settingsResponse = z.object({
  forward: z.record(z.string(), z.string()),
  message: z.object({ downtime_message: z.string(), language: z.string() }).nullable(),
  updated_at: z.string().nullable(),
});

export const activationBody = z.strictObject({ enabled: z.boolean(), changed_at: readOnly, changed_by: readOnly });

export const activationResponse = z.object({
  enabled: z.boolean(),
  changed_at: z.string().nullable(),
  changed_by: z.string().nullable(),
});

export const auditEntrySchema = z.object({
  id: z.string(),
  change: z.enum(['settings', 'activation']),
  actor: z.string(),
  detail: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});

const decisionSchema = z.object({
  action: z.enum(['forward', 'message', 'flow', 'queue']),
  forward_to: z.string().nullable(),
  message: z.object({ text: z.string(), language: z.string() }).nullable(),
  flow_id: z.string().nullable(),
});

export const inboundCallBody = z.strictObject({
  call_id: z.string().min(1).max(200),
  from: z.string().min(1).max(64),
  to: e164,
});

export const routedCallResponse = z.object({ call_id: z.string(), decision: decisionSchema, continuity: z.boolean() });

const eventSchema = z.object({ type: z.string(), at: z.string() }).catchall(z.unknown());

export const callSchema = z.object({
  id: z.string(),
  call_id: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  from: z.string(),
  to: z.string(),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  outcome: z.enum(['answered', 'busy', 'no_answer', 'invalid_number', 'failed', 'forwarded', 'completed']).nullable(),
  decision: decisionSchema.nullable(),
  continuity: z.boolean(),
  events: z.array(eventSchema),
  kind: z.enum(CALL_KINDS).nullable().default(null),
  skill: z.string().nullable().default(null),
});

export const callsQuery = z.strictObject({
  direction: z.enum(['inbound', 'outbound']).optional(),
  outcome: z.enum(['answered', 'busy', 'no_answer', 'invalid_number', 'failed', 'forwarded', 'completed']).optional(),
  number: e164.optional(),
  started_from: z.iso.datetime({ offset: true }).optional(),
  started_to: z.iso.datetime({ offset: true }).optional(),
});
