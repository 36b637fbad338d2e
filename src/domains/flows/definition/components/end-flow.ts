import { z } from 'zod';
import { defineComponent, fixedExits } from '../component-spec.js';

/** Ends the interaction (hanging up any call); it has no config and no exits. */
export const endFlow = defineComponent({
  kind: 'non_voice',
  config: z.strictObject({}),
  exits: fixedExits([]),
});
