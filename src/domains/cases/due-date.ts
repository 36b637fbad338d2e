const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** How far `timeZone`'s wall clock is ahead of UTC at `utcMs`, in milliseconds. */
function offsetAt(timeZone: string, utcMs: number): number {
  const parts = Object.fromEntries(formatterFor(timeZone).formatToParts(new Date(utcMs)).map((part) => [part.type, Number(part.value)]));
  const wall = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The instant it is 12:00 on `date` (YYYY-MM-DD) in the IANA `timeZone`. The offset is taken at
 * the result itself, so a date on which daylight saving time starts or ends gets that day's offset.
 */
export function noonIn(date: string, timeZone: string): Date {
  const [year, month, day] = date.split('-').map(Number);
  const wallNoon = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, 12);
  let utc = wallNoon - offsetAt(timeZone, wallNoon);
  // A second pass settles the rare date whose offset at the first guess differs from noon's.
  utc = wallNoon - offsetAt(timeZone, utc);
  return new Date(utc);
}
