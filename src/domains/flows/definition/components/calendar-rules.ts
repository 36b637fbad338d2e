import { z } from 'zod';
import { defineComponent, fixedExits } from '../component-spec.js';
import { text, timeZone } from '../fields.js';

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Reads a date (`2026-12-24`, the whole day) or a local date-time (`2026-12-24T18:00`, read in the
 * rule's time zone) into a sortable key; null when it is neither or names no real moment.
 */
function localKey(value: string, edge: 'start' | 'end'): string | null {
  const match = LOCAL.exec(value);
  if (!match) return null;
  const [year, month, dayOfMonth, hour, minute, second] = match.slice(1).map((part) => (part === undefined ? undefined : Number(part)));
  if (year === undefined || month === undefined || dayOfMonth === undefined) return null;
  const date = new Date(Date.UTC(year, month - 1, dayOfMonth));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== dayOfMonth) return null;
  if (hour !== undefined && (hour > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59)) return null;
  const datePart = value.slice(0, 10);
  if (hour === undefined) return `${datePart}T${edge === 'start' ? '00:00:00' : '23:59:59'}`;
  return `${datePart}T${value.slice(11, 16)}:${String(second ?? 0).padStart(2, '0')}`;
}

const moment = z
  .string()
  .refine((value) => localKey(value, 'start') !== null, 'must be a date such as 2026-12-24 or a local date-time such as 2026-12-24T18:00');

const period = z
  .strictObject({ from: moment, to: moment, name: text(200).optional() })
  .refine((p) => (localKey(p.from, 'start') ?? '') <= (localKey(p.to, 'end') ?? ''), { path: ['to'], error: 'must not be before from' });

/** Matches when the current time falls in one of the listed periods (holidays, closures). */
export const calendarRules = defineComponent({
  kind: 'non_voice',
  config: z.strictObject({
    timezone: timeZone,
    dates: z.array(period).min(1).max(1000),
  }),
  exits: fixedExits(['match', 'no_match']),
});
