import { describe, expect, it } from 'vitest';
import { COMPONENT_SPECS } from '../definition/index.js';
import { evaluateTimeRules, type TimeRulesConfig } from './evaluate-time-rules.js';

const rules = (timezone: string, schedule: Record<string, [string, string][]>): TimeRulesConfig =>
  COMPONENT_SPECS.time_rules.config.parse({ timezone, schedule });

const exitAt = (config: TimeRulesConfig, iso: string) => evaluateTimeRules(config, {}, new Date(iso)).exit;

const weekdays = (window: [string, string]) => ({ mon: [window], tue: [window], wed: [window], thu: [window], fri: [window] });

describe('time_rules', () => {
  it('is open from the opening minute up to, not including, the closing minute', () => {
    const config = rules('UTC', weekdays(['09:00', '17:00']));
    expect(exitAt(config, '2026-11-23T08:59:59Z')).toBe('closed');
    expect(exitAt(config, '2026-11-23T09:00:00Z')).toBe('open');
    expect(exitAt(config, '2026-11-23T16:59:59Z')).toBe('open');
    expect(exitAt(config, '2026-11-23T17:00:00Z')).toBe('closed');
  });

  it('is closed all day on a day the schedule leaves out', () => {
    const config = rules('UTC', weekdays(['00:00', '24:00']));
    expect(exitAt(config, '2026-11-27T12:00:00Z')).toBe('open'); // Friday
    expect(exitAt(config, '2026-11-28T12:00:00Z')).toBe('closed'); // Saturday
    expect(exitAt(config, '2026-11-29T00:00:00Z')).toBe('closed'); // Sunday
  });

  it('is open in any of a day’s windows and closed between them', () => {
    const config = rules('UTC', { mon: [['09:00', '12:00'], ['13:00', '17:00']] });
    expect(exitAt(config, '2026-11-23T11:59:00Z')).toBe('open');
    expect(exitAt(config, '2026-11-23T12:30:00Z')).toBe('closed');
    expect(exitAt(config, '2026-11-23T13:00:00Z')).toBe('open');
  });

  it('closes at midnight when a window ends at 24:00', () => {
    const config = rules('Europe/Lisbon', { mon: [['20:00', '24:00']] });
    expect(exitAt(config, '2026-11-23T23:59:59Z')).toBe('open'); // Monday 23:59:59 in Lisbon (UTC+0 in winter)
    expect(exitAt(config, '2026-11-24T00:00:00Z')).toBe('closed'); // Tuesday 00:00
  });

  it('handles hours that cross midnight as two windows on consecutive days', () => {
    // Friday 22:00 to Saturday 02:00 in New York (EST, UTC-5, in January).
    const config = rules('America/New_York', { fri: [['22:00', '24:00']], sat: [['00:00', '02:00']] });
    expect(exitAt(config, '2026-01-09T02:59:59Z')).toBe('closed'); // Thu 21:59:59
    expect(exitAt(config, '2026-01-09T03:30:00Z')).toBe('closed'); // Thu 22:30: only Friday opens late
    expect(exitAt(config, '2026-01-10T02:59:59Z')).toBe('closed'); // Fri 21:59:59
    expect(exitAt(config, '2026-01-10T03:00:00Z')).toBe('open'); // Fri 22:00
    expect(exitAt(config, '2026-01-10T04:59:59Z')).toBe('open'); // Fri 23:59:59
    expect(exitAt(config, '2026-01-10T05:00:00Z')).toBe('open'); // Sat 00:00
    expect(exitAt(config, '2026-01-10T06:59:59Z')).toBe('open'); // Sat 01:59:59
    expect(exitAt(config, '2026-01-10T07:00:00Z')).toBe('closed'); // Sat 02:00
  });

  it('reads the schedule in its own zone', () => {
    const instant = '2026-11-23T15:00:00Z'; // 10:00 in New York, 00:00 Tuesday in Tokyo
    expect(exitAt(rules('America/New_York', weekdays(['09:00', '17:00'])), instant)).toBe('open');
    expect(exitAt(rules('Asia/Tokyo', weekdays(['09:00', '17:00'])), instant)).toBe('closed');
  });

  it('reports the local date, time, weekday and the window that matched', () => {
    const config = rules('Asia/Kolkata', weekdays(['09:30', '18:00']));
    expect(evaluateTimeRules(config, {}, new Date('2026-11-23T04:00:05Z'))).toEqual({
      exit: 'open',
      detail: { timezone: 'Asia/Kolkata', local_date: '2026-11-23', local_time: '09:30:05', weekday: 'mon', window: ['09:30', '18:00'] },
    });
    expect(evaluateTimeRules(config, {}, new Date('2026-11-23T03:59:59Z')).detail).toMatchObject({ local_time: '09:29:59', window: null });
  });

  describe('America/New_York DST', () => {
    it('springs forward on 8 March 2026: 01:59:59 EST is followed by 03:00 EDT', () => {
      const config = rules('America/New_York', { sun: [['03:00', '04:00']] });
      const before = evaluateTimeRules(config, {}, new Date('2026-03-08T06:59:59Z'));
      const after = evaluateTimeRules(config, {}, new Date('2026-03-08T07:00:00Z'));
      expect(before).toMatchObject({ exit: 'closed', detail: { local_time: '01:59:59', weekday: 'sun' } });
      expect(after).toMatchObject({ exit: 'open', detail: { local_time: '03:00:00', weekday: 'sun' } });
    });

    it('opens at 09:00 local on both sides of the spring change', () => {
      const config = rules('America/New_York', weekdays(['09:00', '17:00']));
      expect(exitAt(config, '2026-03-06T13:59:59Z')).toBe('closed'); // Fri 08:59:59 EST
      expect(exitAt(config, '2026-03-06T14:00:00Z')).toBe('open'); // Fri 09:00 EST
      expect(exitAt(config, '2026-03-09T12:59:59Z')).toBe('closed'); // Mon 08:59:59 EDT
      expect(exitAt(config, '2026-03-09T13:00:00Z')).toBe('open'); // Mon 09:00 EDT
    });

    it('falls back on 1 November 2026: 01:59:59 EDT is followed by 01:00 EST, and the hour repeats', () => {
      const config = rules('America/New_York', { sun: [['01:30', '02:00']] });
      expect(exitAt(config, '2026-11-01T05:29:59Z')).toBe('closed'); // 01:29:59 EDT
      expect(exitAt(config, '2026-11-01T05:59:59Z')).toBe('open'); // 01:59:59 EDT
      const after = evaluateTimeRules(config, {}, new Date('2026-11-01T06:00:00Z'));
      expect(after).toMatchObject({ exit: 'closed', detail: { local_time: '01:00:00' } }); // 01:00 EST
      expect(exitAt(config, '2026-11-01T06:30:00Z')).toBe('open'); // 01:30 EST, the second time round
      expect(exitAt(config, '2026-11-01T07:00:00Z')).toBe('closed'); // 02:00 EST
    });
  });

  describe('Europe/Berlin DST', () => {
    it('springs forward on 29 March 2026: 01:59:59 CET is followed by 03:00 CEST', () => {
      const config = rules('Europe/Berlin', { sun: [['03:00', '04:00']] });
      const before = evaluateTimeRules(config, {}, new Date('2026-03-29T00:59:59Z'));
      const after = evaluateTimeRules(config, {}, new Date('2026-03-29T01:00:00Z'));
      expect(before).toMatchObject({ exit: 'closed', detail: { local_time: '01:59:59' } });
      expect(after).toMatchObject({ exit: 'open', detail: { local_time: '03:00:00' } });
    });

    it('falls back on 25 October 2026: 02:59:59 CEST is followed by 02:00 CET', () => {
      const config = rules('Europe/Berlin', { sun: [['02:30', '03:00']] });
      expect(exitAt(config, '2026-10-25T00:29:59Z')).toBe('closed'); // 02:29:59 CEST
      const before = evaluateTimeRules(config, {}, new Date('2026-10-25T00:59:59Z'));
      const after = evaluateTimeRules(config, {}, new Date('2026-10-25T01:00:00Z'));
      expect(before).toMatchObject({ exit: 'open', detail: { local_time: '02:59:59' } });
      expect(after).toMatchObject({ exit: 'closed', detail: { local_time: '02:00:00' } });
      expect(exitAt(config, '2026-10-25T01:30:00Z')).toBe('open'); // 02:30 CET
      expect(exitAt(config, '2026-10-25T02:00:00Z')).toBe('closed'); // 03:00 CET
    });

    it('opens at 08:00 local on both sides of the autumn change', () => {
      const config = rules('Europe/Berlin', weekdays(['08:00', '18:00']));
      expect(exitAt(config, '2026-10-23T05:59:59Z')).toBe('closed'); // Fri 07:59:59 CEST
      expect(exitAt(config, '2026-10-23T06:00:00Z')).toBe('open'); // Fri 08:00 CEST
      expect(exitAt(config, '2026-10-26T06:59:59Z')).toBe('closed'); // Mon 07:59:59 CET
      expect(exitAt(config, '2026-10-26T07:00:00Z')).toBe('open'); // Mon 08:00 CET
    });
  });
});
