import { z } from 'zod';
import { defineComponent, fixedExits } from '../component-spec.js';
import { audioSource, audioTemplates, variableName, wholeNumber } from '../fields.js';

/** Collects digits into a variable. */
export const inputIvr = defineComponent({
  kind: 'voice',
  config: z
    .strictObject({
      prompt: audioSource,
      min_digits: wholeNumber(1, 32).default(1),
      max_digits: wholeNumber(1, 32).default(20),
      terminator: z.enum(['#', '*']).nullable().default('#'),
      timeout_s: wholeNumber(1, 60).default(5),
      max_attempts: wholeNumber(1, 10).default(3),
      variable: variableName,
    })
    .refine((config) => config.min_digits <= config.max_digits, {
      path: ['max_digits'],
      error: 'must be at least min_digits',
    }),
  exits: fixedExits(['next', 'timeout', 'invalid']),
  templates: (config) => audioTemplates(config.prompt, ['prompt']),
  outputs: (config) => [{ variable: config.variable, exits: ['next'], path: ['variable'] }],
});
