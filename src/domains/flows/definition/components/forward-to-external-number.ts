import { z } from 'zod';
import { defineComponent, fixedExits } from '../component-spec.js';
import { phoneOrTemplate, wholeNumber } from '../fields.js';

/**
 * Bridges the call to an outside number; a connected forward ends the flow. `busy` may be left
 * unwired (it then leaves by `no_answer`). The caller id defaults to the account's own number,
 * which carriers accept without question.
 */
export const forwardToExternalNumber = defineComponent({
  kind: 'voice',
  config: z.strictObject({
    number: phoneOrTemplate,
    caller_id: z.enum(['contact', 'touchpoint']).default('touchpoint'),
    ring_timeout_s: wholeNumber(10, 35).default(15),
  }),
  exits: fixedExits(['no_answer', 'invalid_number'], ['busy']),
  templates: (config) => [{ path: ['number'], text: config.number }],
});
