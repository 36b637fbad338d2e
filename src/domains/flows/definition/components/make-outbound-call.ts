import { z } from 'zod';
import { defineComponent, fixedExits } from '../component-spec.js';
import { e164, phoneOrTemplate, wholeNumber } from '../fields.js';

/** Dials the contact; the one component that creates the call every voice component needs. */
export const makeOutboundCall = defineComponent({
  kind: 'voice',
  config: z.strictObject({
    from: e164,
    to: phoneOrTemplate,
    ring_timeout_s: wholeNumber(10, 35).default(15),
  }),
  exits: fixedExits(['answered', 'invalid_number', 'busy', 'no_answer']),
  templates: (config) => [{ path: ['to'], text: config.to }],
  accountNumbers: (config) => [{ path: ['from'], value: config.from }],
});
