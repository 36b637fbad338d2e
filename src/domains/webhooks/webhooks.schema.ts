import { z } from 'zod';
import { EVENT_TYPES } from '../../ports/events.js';
import { DELIVERY_STATUSES, EVENT_PATTERNS, isEventPattern, type EventPattern } from './webhooks.model.js';
import { secretProblem } from './webhook-signature.js';

const url = z
  .string()
  .max(2000)
  .refine((value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol), { message: 'must be an absolute http(s) URL' });

const pattern = z
  .string()
  .refine(isEventPattern, { message: `must be an event type or a family wildcard: ${EVENT_PATTERNS.join(', ')}` })
  .transform((value) => value as EventPattern);

const events = z.array(pattern).min(1).max(EVENT_PATTERNS.length).transform((list) => [...new Set(list)]);

const secret = z.string().superRefine((value, ctx) => {
  const problem = secretProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const description = z.string().trim().max(500).nullable();

export const createWebhookBody = z.strictObject({
  url,
  events,
  description: description.optional(),
  secret: secret.optional().describe('Signing secret: `whsec_` + base64 (Standard Webhooks; the decoded bytes sign), or any other text (its UTF-8 bytes sign); generated when omitted'),
  enabled: z.boolean().optional(),
});

export const updateWebhookBody = z.strictObject({
  url: url.optional(),
  events: events.optional(),
  description: description.optional(),
  enabled: z.boolean().optional(),
  secret: secret.optional().describe('A new signing secret, used from the next attempt on (pending retries too); never shown again'),
});

export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.enum(EVENT_PATTERNS as [EventPattern, ...EventPattern[]])),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const createdWebhookSchema = webhookSchema.extend({ secret: z.string().describe('Shown here only; sign-verify deliveries with it') });

export const deliveryAttemptSchema = z.object({
  at: z.string(),
  status: z.number().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number(),
  response_body: z.string().nullable(),
});

export const deliverySchema = z.object({
  id: z.string(),
  endpoint_id: z.string(),
  event_id: z.string(),
  event_type: z.enum(EVENT_TYPES),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.array(deliveryAttemptSchema),
  next_attempt_at: z.string().nullable(),
  failure_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const deliveriesQuery = { status: z.enum(DELIVERY_STATUSES).optional() };

export type CreateWebhookBody = z.output<typeof createWebhookBody>;
export type UpdateWebhookBody = z.output<typeof updateWebhookBody>;
