import { z } from 'zod';

/** How an external number behaves when the simulated network dials it. */
export const phoneScriptSchema = z.strictObject({
  behavior: z.enum(['answer', 'busy', 'no_answer', 'invalid', 'reject']).default('answer'),
  answer_after_s: z.number().min(0).max(600).default(1),
  dtmf: z.string().regex(/^[0-9*#]{0,64}$/, 'must be DTMF digits (0-9, * and #)').optional(),
  speech: z.string().max(2000).optional(),
  /** How long the phone stays on a call it was connected to (a bridged callback) before hanging up; 60 s when absent. */
  talk_s: z.number().min(0).max(86_400).optional(),
});

export type PhoneScript = z.infer<typeof phoneScriptSchema>;

/** An unscripted E.164 number answers after one second. */
export const DEFAULT_SCRIPT: PhoneScript = { behavior: 'answer', answer_after_s: 1 };

/** How long a phone without `talk_s` stays on a connected call. */
export const DEFAULT_TALK_S = 60;
