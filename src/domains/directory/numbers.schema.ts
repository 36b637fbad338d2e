import { z } from 'zod';
import { isE164 } from '../../kernel/phone.js';

export const e164 = z.string().refine(isE164, 'must be an E.164 number such as +14155550100');

export const numberSchema = z.object({
  number: z.string(),
  name: z.string(),
  inbound_flow_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const createNumberBody = z.strictObject({
  number: e164,
  name: z.string().trim().min(1).max(200).optional().describe('defaults to the number itself'),
  inbound_flow_id: z.string().min(1).max(100).nullable().default(null),
});

export const updateNumberBody = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  inbound_flow_id: z.string().min(1).max(100).nullable().optional(),
});
