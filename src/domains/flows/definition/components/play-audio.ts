import { defineComponent, fixedExits } from '../component-spec.js';
import { audioSource, audioTemplates } from '../fields.js';

/** Plays text-to-speech or a recording to the contact. */
export const playAudio = defineComponent({
  kind: 'voice',
  config: audioSource,
  exits: fixedExits(['next']),
  templates: (config) => audioTemplates(config, []),
});
