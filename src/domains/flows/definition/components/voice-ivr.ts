import { z } from 'zod';
import { defineComponent, exitsFrom } from '../component-spec.js';
import { audioSource, audioTemplates, exitName, reportReserved, text, wholeNumber } from '../fields.js';

const FIXED_EXITS = ['no_match', 'timeout'] as const;

const config = z.strictObject({
  prompt: audioSource,
  intents: z
    .record(exitName, z.array(text(200)).min(1).max(100))
    .refine((intents) => Object.keys(intents).length > 0, 'must name at least one intent')
    .superRefine((intents, ctx) => {
      const names = Object.keys(intents);
      reportReserved(names, FIXED_EXITS, ctx, (index) => [names[index] ?? index]);
    }),
  timeout_s: wholeNumber(1, 60).default(5),
});

/** A speech menu: each intent (a list of phrases) is an exit of the same name. */
export const voiceIvr = defineComponent({
  kind: 'voice',
  config,
  exits: exitsFrom((parsed: z.output<typeof config>) => ({ mandatory: [...Object.keys(parsed.intents), ...FIXED_EXITS], optional: [] })),
  templates: (parsed) => audioTemplates(parsed.prompt, ['prompt']),
});
