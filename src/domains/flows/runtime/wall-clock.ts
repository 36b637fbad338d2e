export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export type Weekday = (typeof WEEKDAYS)[number];

/** What a wall clock in one time zone reads at an instant. */
export interface WallClock {
  /** `YYYY-MM-DD` */
  date: string;
  /** `HH:MM:SS`, 00:00:00 to 23:59:59 */
  time: string;
  weekday: Weekday;
}

// Building a formatter is far slower than using one, and a flow asks about the same few zones.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      // h23, not hour12: false, which some ICU versions render as "24" at midnight.
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Reads the local date, time and weekday at `instant` in an IANA time zone. The zone's rules
 * (DST included) come from the ICU data Node ships with; the zone must already be validated.
 */
export function wallClockAt(instant: Date, timeZone: string): WallClock {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  const year = (parts.year ?? '').padStart(4, '0');
  const month = parts.month ?? '';
  const day = parts.day ?? '';
  const weekdayIndex = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day))).getUTCDay();
  return {
    date: `${year}-${month}-${day}`,
    time: `${parts.hour ?? ''}:${parts.minute ?? ''}:${parts.second ?? ''}`,
    weekday: WEEKDAYS[weekdayIndex] ?? 'sun',
  };
}
