import { z } from 'zod';
import { defineComponent, fixedExits } from '../component-spec.js';
import { wholeNumber } from '../fields.js';

/**
 * The user's JavaScript, run in a sandbox. What it returns is only known at run time, so
 * variables it sets must be declared in the definition's `variables` before a template reads them.
 */
export const runFunction = defineComponent({
  kind: 'non_voice',
  config: z.strictObject({
    code: z
      .string()
      .min(1, 'must not be empty')
      .max(100_000, 'must be at most 100000 characters')
      .refine((code) => /\bexport\s+default\b/.test(code), 'must export a default function: export default (vars) => ({ ... })'),
    timeout_ms: wholeNumber(1, 10_000).default(1000),
    memory_mb: wholeNumber(1, 128).default(32),
  }),
  exits: fixedExits(['success', 'error']),
});
