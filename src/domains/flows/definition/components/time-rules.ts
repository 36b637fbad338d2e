import { z } from 'zod';
import { defineComponent, fixedExits } from '../component-spec.js';
import { timeZone } from '../fields.js';

const clock = z.string().regex(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time of day from 00:00 to 24:00');

const opening = z
  .tuple([clock, clock])
  .refine(([from, to]) => from < to, { path: [1], error: 'must be later than the opening time' });

const day = z.array(opening).max(24).default([]);

/** Open or closed by weekly opening hours in one time zone; a day left out is closed all day. */
export const timeRules = defineComponent({
  kind: 'non_voice',
  config: z.strictObject({
    timezone: timeZone,
    schedule: z.strictObject({ mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day }),
  }),
  exits: fixedExits(['open', 'closed']),
});
