import { describe, expect, it } from 'vitest';
import { noonIn } from './due-date.js';

describe('noonIn', () => {
  it.each([
    ['2026-12-01', 'UTC', '2026-12-01T12:00:00.000Z'],
    ['2026-12-01', 'Europe/Lisbon', '2026-12-01T12:00:00.000Z'],
    ['2026-07-01', 'Europe/Lisbon', '2026-07-01T11:00:00.000Z'],
    ['2026-03-08', 'America/New_York', '2026-03-08T16:00:00.000Z'],
    ['2026-11-01', 'America/New_York', '2026-11-01T17:00:00.000Z'],
    ['2026-07-01', 'Asia/Kolkata', '2026-07-01T06:30:00.000Z'],
    ['2026-12-01', 'Pacific/Auckland', '2026-11-30T23:00:00.000Z'],
    // Lord Howe leaves its half-hour daylight saving time at 02:00 that day.
    ['2026-04-05', 'Australia/Lord_Howe', '2026-04-05T01:30:00.000Z'],
  ])('%s in %s is %s', (date, zone, expected) => {
    expect(noonIn(date, zone).toISOString()).toBe(expected);
  });
});
