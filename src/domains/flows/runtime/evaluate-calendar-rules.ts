import type { ComponentConfig } from '../definition/index.js';
import type { Decision, VariableValues } from './decision.js';
import { wallClockAt } from './wall-clock.js';

export type CalendarRulesConfig = ComponentConfig<'calendar_rules'>;

type Period = CalendarRulesConfig['dates'][number];

const isDateOnly = (value: string): boolean => value.length === 10;

/** `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` as `YYYY-MM-DDTHH:MM:SS`, which sorts chronologically. */
const withSeconds = (dateTime: string): string => (dateTime.length === 16 ? `${dateTime}:00` : dateTime);

/**
 * Whether a period covers the local wall-clock reading `date`/`localDateTime`:
 * - `from` is inclusive: a date starts at its midnight, a date-time at that moment.
 * - `to` as a date is inclusive of that whole day (`{from: "2026-12-24", to: "2026-12-26"}` is three
 *   days); `to` as a date-time is exclusive, the moment the period ends (`to: "2026-12-24T18:00"`
 *   no longer matches at 18:00), like the closing time of a `time_rules` window. A period whose
 *   date-time `to` equals its `from` is empty.
 * Both ends are wall-clock readings in the rule's zone, so they follow DST: a start inside the
 * spring-forward gap takes effect when the clock jumps past it, and during the repeated fall-back
 * hour the wall clock is what is compared, both times round.
 */
function covers(period: Period, date: string, localDateTime: string): boolean {
  const start = isDateOnly(period.from) ? `${period.from}T00:00:00` : withSeconds(period.from);
  if (localDateTime < start) return false;
  return isDateOnly(period.to) ? date <= period.to : localDateTime < withSeconds(period.to);
}

/** `match` when the current instant, read in the rule's zone, falls in a listed period (the first one wins). */
export function evaluateCalendarRules(config: CalendarRulesConfig, _variables: VariableValues, now: Date): Decision {
  const local = wallClockAt(now, config.timezone);
  const localDateTime = `${local.date}T${local.time}`;
  const index = config.dates.findIndex((period) => covers(period, local.date, localDateTime));
  const period = config.dates[index];
  return {
    exit: period === undefined ? 'no_match' : 'match',
    detail: {
      timezone: config.timezone,
      local_date_time: localDateTime,
      period: period === undefined ? null : { index, from: period.from, to: period.to, name: period.name ?? null },
    },
  };
}
