import { z } from 'zod';
import { defineComponent, fixedExits } from '../component-spec.js';
import { audioSource, audioTemplates, variableName, wholeNumber } from '../fields.js';

/** Records what the contact says and stores the transcript in a variable. */
export const voiceTranscription = defineComponent({
  kind: 'voice',
  config: z.strictObject({
    prompt: audioSource.optional(),
    max_duration_s: wholeNumber(1, 300).default(60),
    variable: variableName,
  }),
  exits: fixedExits(['next', 'error']),
  templates: (config) => audioTemplates(config.prompt, ['prompt']),
  outputs: (config) => [{ variable: config.variable, exits: ['next'], path: ['variable'] }],
});
