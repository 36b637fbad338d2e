import { z } from 'zod';
import { defineComponent, exitsFrom } from '../component-spec.js';
import { audioSource, audioTemplates, exitName, reportReserved, wholeNumber } from '../fields.js';

const FIXED_EXITS = ['timeout', 'invalid'] as const;

const config = z.strictObject({
  prompt: audioSource,
  options: z
    .record(z.string().regex(/^[0-9*#]$/, 'must be one key: 0-9, * or #'), exitName)
    .refine((options) => Object.keys(options).length > 0, 'must offer at least one option')
    .superRefine((options, ctx) => {
      const keys = Object.keys(options);
      reportReserved(Object.values(options), FIXED_EXITS, ctx, (index) => [keys[index] ?? index]);
    }),
  timeout_s: wholeNumber(1, 60).default(5),
  max_attempts: wholeNumber(1, 10).default(3),
});

/** A DTMF menu: each key leaves by the exit it names (several keys may share one exit). */
export const standardIvr = defineComponent({
  kind: 'voice',
  config,
  exits: exitsFrom((parsed: z.output<typeof config>) => ({
    mandatory: [...new Set(Object.values(parsed.options)), ...FIXED_EXITS],
    optional: [],
  })),
  templates: (parsed) => audioTemplates(parsed.prompt, ['prompt']),
});
