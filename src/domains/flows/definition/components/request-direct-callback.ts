import { z } from 'zod';
import { defineComponent, fixedExits } from '../component-spec.js';
import { phoneOrTemplate, text } from '../fields.js';

/** Queues a callback on a skill; the number defaults to the call's contact number. */
export const requestDirectCallback = defineComponent({
  kind: 'voice',
  config: z.strictObject({
    skill: text(200),
    number: phoneOrTemplate.default('{{contact_number}}'),
  }),
  exits: fixedExits(['next', 'error']),
  templates: (config) => [{ path: ['number'], text: config.number }],
  accountSkills: (config) => [{ path: ['skill'], value: config.skill }],
});
