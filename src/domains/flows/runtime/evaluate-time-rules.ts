import type { ComponentConfig } from '../definition/index.js';
import type { Decision, VariableValues } from './decision.js';
import { wallClockAt } from './wall-clock.js';

export type TimeRulesConfig = ComponentConfig<'time_rules'>;

/**
 * Open when the local time in the rule's zone falls in one of that weekday's windows, else closed.
 * A window `[from, to]` is half-open, from `from` inclusive to `to` exclusive, so `["09:00", "17:00"]`
 * is closed at 17:00 sharp and `"24:00"` closes at midnight. Windows never span days: opening hours
 * past midnight are two windows, `fri: [["22:00", "24:00"]]` and `sat: [["00:00", "02:00"]]`. A day
 * left out of the schedule is closed. Local time comes from the zone's rules at `now`, so DST shifts
 * move the windows with the wall clock.
 */
export function evaluateTimeRules(config: TimeRulesConfig, _variables: VariableValues, now: Date): Decision {
  const local = wallClockAt(now, config.timezone);
  const minute = local.time.slice(0, 5);
  // "HH:MM" strings sort like the times they name, and "24:00" sorts after every real minute.
  const window = config.schedule[local.weekday].find(([from, to]) => from <= minute && minute < to) ?? null;
  return {
    exit: window === null ? 'closed' : 'open',
    detail: { timezone: config.timezone, local_date: local.date, local_time: local.time, weekday: local.weekday, window },
  };
}
