import { describe, expect, it } from 'vitest';
import { COMPONENT_SPECS } from '../definition/index.js';
import { evaluateCalendarRules, type CalendarRulesConfig } from './evaluate-calendar-rules.js';

const calendar = (timezone: string, dates: { from: string; to: string; name?: string }[]): CalendarRulesConfig =>
  COMPONENT_SPECS.calendar_rules.config.parse({ timezone, dates });

const exitAt = (config: CalendarRulesConfig, iso: string) => evaluateCalendarRules(config, {}, new Date(iso)).exit;

describe('calendar_rules', () => {
  it('matches a one-day period from its local midnight to the next (Berlin is UTC+1 in December)', () => {
    const config = calendar('Europe/Berlin', [{ from: '2026-12-25', to: '2026-12-25', name: 'Christmas Day' }]);
    expect(exitAt(config, '2026-12-24T22:59:59Z')).toBe('no_match'); // 24 Dec 23:59:59
    expect(exitAt(config, '2026-12-24T23:00:00Z')).toBe('match'); // 25 Dec 00:00
    expect(exitAt(config, '2026-12-25T22:59:59Z')).toBe('match'); // 25 Dec 23:59:59
    expect(exitAt(config, '2026-12-25T23:00:00Z')).toBe('no_match'); // 26 Dec 00:00
  });

  it('includes the whole of a date "to" and runs across a year end', () => {
    const config = calendar('UTC', [{ from: '2026-12-31', to: '2027-01-01' }]);
    expect(exitAt(config, '2026-12-30T23:59:59Z')).toBe('no_match');
    expect(exitAt(config, '2026-12-31T00:00:00Z')).toBe('match');
    expect(exitAt(config, '2027-01-01T23:59:59.999Z')).toBe('match');
    expect(exitAt(config, '2027-01-02T00:00:00Z')).toBe('no_match');
  });

  it('starts at a date-time "from" and ends just before a date-time "to"', () => {
    const config = calendar('America/New_York', [{ from: '2026-12-24T12:00', to: '2026-12-24T18:00' }]);
    expect(exitAt(config, '2026-12-24T16:59:59Z')).toBe('no_match'); // 11:59:59 EST
    expect(exitAt(config, '2026-12-24T17:00:00Z')).toBe('match'); // 12:00
    expect(exitAt(config, '2026-12-24T22:59:59Z')).toBe('match'); // 17:59:59
    expect(exitAt(config, '2026-12-24T23:00:00Z')).toBe('no_match'); // 18:00
  });

  it('reads seconds when a date-time gives them', () => {
    const config = calendar('UTC', [{ from: '2026-06-01T08:00:30', to: '2026-06-01T08:00:45' }]);
    expect(exitAt(config, '2026-06-01T08:00:29Z')).toBe('no_match');
    expect(exitAt(config, '2026-06-01T08:00:30Z')).toBe('match');
    expect(exitAt(config, '2026-06-01T08:00:44Z')).toBe('match');
    expect(exitAt(config, '2026-06-01T08:00:45Z')).toBe('no_match');
  });

  it('mixes a date and a date-time: from a day’s midnight to a moment, and from a moment to the end of a day', () => {
    const untilNoon = calendar('UTC', [{ from: '2026-05-01', to: '2026-05-02T12:00' }]);
    expect(exitAt(untilNoon, '2026-05-01T00:00:00Z')).toBe('match');
    expect(exitAt(untilNoon, '2026-05-02T11:59:59Z')).toBe('match');
    expect(exitAt(untilNoon, '2026-05-02T12:00:00Z')).toBe('no_match');
    const fromNoon = calendar('UTC', [{ from: '2026-05-01T12:00', to: '2026-05-02' }]);
    expect(exitAt(fromNoon, '2026-05-01T11:59:59Z')).toBe('no_match');
    expect(exitAt(fromNoon, '2026-05-02T23:59:59Z')).toBe('match');
    expect(exitAt(fromNoon, '2026-05-03T00:00:00Z')).toBe('no_match');
  });

  it('reads the dates in its own zone', () => {
    const dates = [{ from: '2026-01-01', to: '2026-01-01' }];
    const instant = '2025-12-31T20:00:00Z'; // already 1 January in Tokyo, still 31 December in Los Angeles
    expect(exitAt(calendar('Asia/Tokyo', dates), instant)).toBe('match');
    expect(exitAt(calendar('America/Los_Angeles', dates), instant)).toBe('no_match');
  });

  it('follows DST: a local start inside the spring-forward gap takes effect when the clock jumps past it', () => {
    // 02:30 does not exist in New York on 8 March 2026: 01:59:59 EST is followed by 03:00 EDT.
    const config = calendar('America/New_York', [{ from: '2026-03-08T02:30', to: '2026-03-08T05:00' }]);
    expect(exitAt(config, '2026-03-08T06:59:59Z')).toBe('no_match'); // 01:59:59 EST
    expect(exitAt(config, '2026-03-08T07:00:00Z')).toBe('match'); // 03:00 EDT
    expect(exitAt(config, '2026-03-08T08:59:59Z')).toBe('match'); // 04:59:59 EDT, not 03:59:59 as a fixed -5 would read
    expect(exitAt(config, '2026-03-08T09:00:00Z')).toBe('no_match'); // 05:00 EDT
  });

  it('follows DST: a whole day after the autumn change in Berlin starts at that day’s local midnight', () => {
    const config = calendar('Europe/Berlin', [{ from: '2026-10-26', to: '2026-10-26' }]);
    expect(exitAt(config, '2026-10-25T22:59:59Z')).toBe('no_match'); // 25 Oct 23:59:59 CET (a stale CEST offset would read 26 Oct 00:59:59)
    expect(exitAt(config, '2026-10-25T23:00:00Z')).toBe('match'); // 26 Oct 00:00 CET
  });

  it('takes the first listed period that matches and reports it', () => {
    const config = calendar('UTC', [
      { from: '2026-08-01', to: '2026-08-31', name: 'Summer closure' },
      { from: '2026-08-15', to: '2026-08-15', name: 'Assumption' },
      { from: '2026-09-01', to: '2026-09-01' },
    ]);
    expect(evaluateCalendarRules(config, {}, new Date('2026-08-15T10:00:00Z'))).toEqual({
      exit: 'match',
      detail: {
        timezone: 'UTC',
        local_date_time: '2026-08-15T10:00:00',
        period: { index: 0, from: '2026-08-01', to: '2026-08-31', name: 'Summer closure' },
      },
    });
    expect(evaluateCalendarRules(config, {}, new Date('2026-09-01T10:00:00Z')).detail).toMatchObject({
      period: { index: 2, from: '2026-09-01', to: '2026-09-01', name: null },
    });
    expect(evaluateCalendarRules(config, {}, new Date('2026-09-02T10:00:00Z'))).toEqual({
      exit: 'no_match',
      detail: { timezone: 'UTC', local_date_time: '2026-09-02T10:00:00', period: null },
    });
  });
});
